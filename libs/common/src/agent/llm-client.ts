import { Inject, Injectable, Logger } from '@nestjs/common';
import OpenAI from 'openai';
import { LlmTimer } from '../metrics/instruments';
import { DEFAULT_LLM_MODEL, LLM_SETTINGS, LlmSettings } from './llm-settings';
import type { LlmUsage } from './usage';

/** A tool the model asked for: its id (to answer it by), name, and arguments as the model wrote them (JSON). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A function the model may call (OpenAI's `tools[].function`). */
export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface ChatRequest {
  /** The agent's model; else `LLM_MODEL`; else the default. */
  model?: string | null;
  messages: ChatMessage[];
  /** Aborts the HTTP request (a voice caller who interrupts, a shutdown). */
  signal?: AbortSignal;
  /** Functions the model may call. */
  tools?: readonly ToolSpec[];
  /** `none`: tools are described (the history has tool calls) but the model must answer in words. */
  toolChoice?: 'auto' | 'none';
  /** Upper bound on the completion's tokens; else `LLM_MAX_TOKENS` (0: none sent). */
  maxTokens?: number;
  /** Told the tokens the call cost, once the provider reports them (a stream's last chunk). */
  onUsage?: (usage: LlmUsage) => void;
  /** What the answer is for (`sms`, `voice`, `summary`): the label of its metrics (default `other`). */
  purpose?: 'sms' | 'voice' | 'summary' | 'other';
}

/** One step of a streamed answer: words as they come, then, at most once, the tool calls it ends with. */
export type LlmDelta = { type: 'text'; text: string } | { type: 'tool_calls'; calls: ToolCall[] };

/** A whole answer: its words and the tool calls it ends with (none for a plain answer). */
export interface LlmTurn {
  text: string;
  toolCalls: ToolCall[];
}

/**
 * Why a model call failed, in words fit for a log line or the message's
 * `error_message`: `LLM error <status>: ...`, or `LLM error connection: ...`
 * when no answer came. Never carries the API key.
 */
export class LlmError extends Error {
  constructor(
    message: string,
    /** The HTTP status of the LLM's answer; undefined when there was none. */
    readonly status: number | undefined,
    /** The caller's AbortSignal ended the call. */
    readonly aborted: boolean,
  ) {
    super(message);
    this.name = 'LlmError';
  }

  static from(err: unknown, signal?: AbortSignal): LlmError {
    if (err instanceof LlmError) return err;
    const aborted = err instanceof OpenAI.APIUserAbortError || signal?.aborted === true;
    if (err instanceof OpenAI.APIError)
      return new LlmError(`LLM error ${err.status ?? 'connection'}: ${err.message}`, err.status, aborted);
    return new LlmError(err instanceof Error ? err.message : String(err), undefined, aborted);
  }
}

/**
 * The one OpenAI-compatible chat client of a process (the `openai` SDK,
 * bounded by `LLM_TIMEOUT_MS` and `LLM_MAX_RETRIES`), built from injected
 * settings. Without `LLM_BASE_URL` it is not `configured` and every call
 * fails with an `LlmError`.
 */
@Injectable()
export class LlmClient {
  private readonly openai: OpenAI | null;
  private readonly logger = new Logger('LlmClient');
  /** Models off `LLM_ALLOWED_MODELS` already logged (once each per process). */
  private readonly refusedModels = new Set<string>();

  constructor(@Inject(LLM_SETTINGS) private readonly settings: LlmSettings) {
    this.openai = settings.baseUrl
      ? new OpenAI({
          baseURL: settings.baseUrl,
          apiKey: settings.apiKey ?? 'unset',
          timeout: settings.timeoutMs,
          maxRetries: settings.maxRetries,
        })
      : null;
  }

  get configured(): boolean {
    return this.openai !== null;
  }

  /**
   * The agent's model, else `LLM_MODEL`, else the default. An agent's model
   * that is not (or no longer) on `LLM_ALLOWED_MODELS` is replaced by the
   * default, logged once: the platform's key never pays for another model.
   */
  modelFor(model?: string | null): string {
    const fallback = this.settings.model ?? DEFAULT_LLM_MODEL;
    if (!model) return fallback;
    if (!this.settings.allowedModels.includes(model)) {
      if (!this.refusedModels.has(model)) {
        this.refusedModels.add(model);
        this.logger.warn(`Model ${model} is not in LLM_ALLOWED_MODELS: ${fallback} answers instead`);
      }
      return fallback;
    }
    return model;
  }

  /** One completion; resolves to its text ('' when the model sent none). */
  async complete(req: ChatRequest): Promise<string> {
    return (await this.completeTurn(req)).text;
  }

  /** One completion with the tool calls it asks for. */
  async completeTurn(req: ChatRequest): Promise<LlmTurn> {
    const openai = this.client();
    const timer = new LlmTimer(req.purpose ?? 'other', 'complete');
    try {
      const completion = await openai.chat.completions.create(
        { ...this.body(req), stream: false },
        { signal: req.signal },
      );
      reportUsage(req, completion.model || this.modelFor(req.model), completion.usage);
      timer.done(completion.usage);
      const message = completion.choices[0]?.message;
      const toolCalls: ToolCall[] = [];
      for (const c of message?.tool_calls ?? []) {
        if (c.type === 'function')
          toolCalls.push({ id: c.id, name: c.function.name, arguments: c.function.arguments });
      }
      return { text: message?.content ?? '', toolCalls };
    } catch (err) {
      throw timer.fail(LlmError.from(err, req.signal));
    }
  }

  /**
   * The completion as it is generated: text deltas in order, empty ones
   * skipped. Breaking out of the loop or aborting `signal` closes the HTTP
   * stream. An abort before the answer starts ends with an `LlmError` whose
   * `aborted` is true; an abort once tokens flow may end the iteration quietly
   * (the SDK's behaviour), so a caller that aborts checks its own reason.
   */
  async *stream(req: ChatRequest): AsyncGenerator<string, void, undefined> {
    for await (const delta of this.streamTurn(req)) if (delta.type === 'text') yield delta.text;
  }

  /**
   * `stream` with tools: text deltas as they come, then one `tool_calls`
   * step when the answer ends asking for tools. Tool calls arrive in pieces
   * (per call an index, then its id and name, then its arguments a fragment
   * at a time); they are put together by index and given once, whole.
   */
  async *streamTurn(req: ChatRequest): AsyncGenerator<LlmDelta, void, undefined> {
    const openai = this.client();
    const calls = new Map<number, ToolCall>();
    const timer = new LlmTimer(req.purpose ?? 'other', 'stream');
    try {
      const stream = await openai.chat.completions.create(
        { ...this.body(req), stream: true, stream_options: { include_usage: true } },
        { signal: req.signal },
      );
      for await (const chunk of stream) {
        // Asked for with include_usage: the last chunk (no choices) carries the whole call's tokens.
        if (chunk.usage) reportUsage(req, chunk.model || this.modelFor(req.model), chunk.usage);
        timer.chunk(chunk.usage);
        const delta = chunk.choices[0]?.delta;
        if (delta?.content) yield { type: 'text', text: delta.content };
        for (const piece of delta?.tool_calls ?? []) {
          const call = calls.get(piece.index) ?? { id: '', name: '', arguments: '' };
          if (piece.id) call.id = piece.id;
          if (piece.function?.name) call.name += piece.function.name;
          if (piece.function?.arguments) call.arguments += piece.function.arguments;
          calls.set(piece.index, call);
        }
      }
      timer.done();
    } catch (err) {
      throw timer.fail(LlmError.from(err, req.signal));
    }
    if (calls.size > 0) {
      const whole = [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
      yield { type: 'tool_calls', calls: whole.filter((c) => c.name !== '') };
    }
  }

  /** The request body shared by both ways of asking. */
  private body(req: ChatRequest) {
    const tools = req.tools && req.tools.length > 0 ? req.tools : undefined;
    return {
      model: this.modelFor(req.model),
      messages: req.messages.map(toOpenAi),
      ...(tools
        ? {
            tools: tools.map((t) => ({
              type: 'function' as const,
              function: { name: t.name, description: t.description, parameters: t.parameters },
            })),
            tool_choice: req.toolChoice ?? 'auto',
          }
        : {}),
      ...maxTokens(req.maxTokens ?? this.settings.maxTokens),
    };
  }

  private client(): OpenAI {
    if (!this.openai) throw new LlmError('No LLM is configured (LLM_BASE_URL is not set)', undefined, false);
    return this.openai;
  }
}

/** `max_tokens` when there is a bound (0 or unset: the provider's own). */
function maxTokens(n: number | undefined): { max_tokens?: number } {
  return n ? { max_tokens: n } : {};
}

/** Hands the provider's token counts to the request's `onUsage`; a provider that sends none is counted as nothing. */
function reportUsage(
  req: ChatRequest,
  model: string,
  usage: OpenAI.CompletionUsage | null | undefined,
): void {
  if (!req.onUsage || !usage) return;
  req.onUsage({
    model,
    prompt_tokens: usage.prompt_tokens ?? 0,
    completion_tokens: usage.completion_tokens ?? 0,
  });
}

/** Our message as the SDK takes it (tool calls as `function` calls). */
function toOpenAi(m: ChatMessage): OpenAI.Chat.Completions.ChatCompletionMessageParam {
  if (m.role === 'assistant' && m.tool_calls && m.tool_calls.length > 0) {
    return {
      role: 'assistant',
      content: m.content,
      tool_calls: m.tool_calls.map((c) => ({
        id: c.id,
        type: 'function' as const,
        function: { name: c.name, arguments: c.arguments },
      })),
    };
  }
  if (m.role === 'assistant') return { role: 'assistant', content: m.content ?? '' };
  return m;
}
