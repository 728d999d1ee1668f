import { Inject, Injectable } from '@nestjs/common';
import OpenAI from 'openai';
import { DEFAULT_LLM_MODEL, LLM_SETTINGS, LlmSettings } from './llm-settings';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  /** The agent's model; else `LLM_MODEL`; else the default. */
  model?: string | null;
  messages: ChatMessage[];
  /** Aborts the HTTP request (a voice caller who interrupts, a shutdown). */
  signal?: AbortSignal;
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

  modelFor(model?: string | null): string {
    return model ?? this.settings.model ?? DEFAULT_LLM_MODEL;
  }

  /** One completion; resolves to its text ('' when the model sent none). */
  async complete(req: ChatRequest): Promise<string> {
    const openai = this.client();
    try {
      const completion = await openai.chat.completions.create(
        { model: this.modelFor(req.model), messages: req.messages },
        { signal: req.signal },
      );
      return completion.choices[0]?.message?.content ?? '';
    } catch (err) {
      throw LlmError.from(err, req.signal);
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
    const openai = this.client();
    try {
      const stream = await openai.chat.completions.create(
        { model: this.modelFor(req.model), messages: req.messages, stream: true },
        { signal: req.signal },
      );
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta?.content;
        if (delta) yield delta;
      }
    } catch (err) {
      throw LlmError.from(err, req.signal);
    }
  }

  private client(): OpenAI {
    if (!this.openai) throw new LlmError('No LLM is configured (LLM_BASE_URL is not set)', undefined, false);
    return this.openai;
  }
}
