import { randomBytes } from 'node:crypto';

/** Builds OpenAI chat.completion payloads. */

export interface ChatMessage {
  role?: unknown;
  content?: unknown;
}

/** Text of a message's content (string, or an array of content parts). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) =>
        part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string'
          ? (part as { text: string }).text
          : '',
      )
      .join('');
  }
  return '';
}

/** Text of the last message, whatever its role (a tool result included). */
export function lastMessageText(messages: unknown): string {
  if (!Array.isArray(messages) || messages.length === 0) return '';
  return textOf((messages[messages.length - 1] as ChatMessage)?.content);
}

/** A tool call as OpenAI sends it, with a fresh id and the arguments as a JSON string. */
export interface StubToolCall {
  id: string;
  name: string;
  arguments: string;
}

export function toolCallsOf(
  calls: { name: string; arguments: Record<string, unknown> | string }[],
): StubToolCall[] {
  return calls.map((c) => ({
    id: 'call_' + randomBytes(8).toString('hex'),
    name: c.name,
    arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
  }));
}

export function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as ChatMessage;
    if (m && m.role === 'user') return textOf(m.content);
  }
  return '';
}

export function defaultReply(messages: unknown): string {
  return `Thanks for your message. (stub reply to: "${lastUserText(messages).slice(0, 60)}")`;
}

/** Rough token estimate: four characters per token. */
const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/**
 * The completion's tokens as a model counts what it generated: one per
 * streamed token of the words (what `splitTokens` sends), plus the tool
 * calls' names and arguments at four characters a token.
 */
export function completionTokens(content: string, toolCalls: readonly StubToolCall[] = []): number {
  const calls = toolCalls.reduce((n, c) => n + tokens(c.name + c.arguments), 0);
  return splitTokens(content).length + calls;
}

export function promptText(messages: unknown): string {
  return Array.isArray(messages) ? messages.map((m) => textOf((m as ChatMessage)?.content)).join('\n') : '';
}

export function completionId(): string {
  return 'chatcmpl-' + randomBytes(12).toString('hex');
}

export function chatCompletion(
  model: string,
  messages: unknown,
  content: string,
  toolCalls: StubToolCall[] = [],
) {
  const promptTokens = tokens(promptText(messages));
  const completion = completionTokens(content, toolCalls);
  const calls = toolCalls.map((c) => ({
    id: c.id,
    type: 'function',
    function: { name: c.name, arguments: c.arguments },
  }));
  return {
    id: completionId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message:
          calls.length > 0
            ? {
                role: 'assistant',
                content: content === '' ? null : content,
                refusal: null,
                tool_calls: calls,
              }
            : { role: 'assistant', content, refusal: null },
        logprobs: null,
        finish_reason: calls.length > 0 ? 'tool_calls' : 'stop',
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completion,
      total_tokens: promptTokens + completion,
    },
    system_fingerprint: 'llm-stub',
  };
}

/**
 * The reply as a model streams it: words with their trailing whitespace
 * ("Sure, " "I " "can "), leading whitespace kept on the first token.
 */
export function splitTokens(content: string): string[] {
  const tokens = content.match(/\s*\S+\s*/g) ?? [];
  if (tokens.length === 0 && content !== '') return [content];
  return tokens;
}

/** SSE frames of one streamed completion (`data: {chat.completion.chunk}` ... `data: [DONE]`). */
export class StreamFrames {
  private readonly id = completionId();
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    private readonly model: string,
    private readonly messages: unknown,
    private readonly content: string,
    private readonly toolCalls: StubToolCall[] = [],
  ) {}

  private chunk(delta: Record<string, unknown>, finish: string | null, usage?: unknown): string {
    return `data: ${JSON.stringify({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      system_fingerprint: 'llm-stub',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(usage === undefined ? {} : { usage }),
    })}\n\n`;
  }

  role(): string {
    return this.chunk({ role: 'assistant', content: '', refusal: null }, null);
  }

  token(token: string): string {
    return this.chunk({ content: token }, null);
  }

  /**
   * The tool calls as OpenAI streams them: per call, a first chunk with its
   * index, id and name, then its arguments in two pieces (so a client that
   * does not accumulate them by index gets them wrong).
   */
  toolCallChunks(): string {
    let out = '';
    this.toolCalls.forEach((c, index) => {
      out += this.chunk(
        { tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] },
        null,
      );
      const half = Math.ceil(c.arguments.length / 2);
      for (const piece of [c.arguments.slice(0, half), c.arguments.slice(half)]) {
        if (piece !== '')
          out += this.chunk({ tool_calls: [{ index, function: { arguments: piece } }] }, null);
      }
    });
    return out;
  }

  /** The tool calls (if any), the stop chunk, the usage chunk when asked for (stream_options.include_usage), and [DONE]. */
  finish(includeUsage: boolean): string {
    let out = this.toolCallChunks() + this.chunk({}, this.toolCalls.length > 0 ? 'tool_calls' : 'stop');
    if (includeUsage) {
      const promptTokens = tokens(promptText(this.messages));
      const completion = completionTokens(this.content, this.toolCalls);
      out += `data: ${JSON.stringify({
        id: this.id,
        object: 'chat.completion.chunk',
        created: this.created,
        model: this.model,
        choices: [],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completion,
          total_tokens: promptTokens + completion,
        },
      })}\n\n`;
    }
    return out + 'data: [DONE]\n\n';
  }
}

export function openAiError(status: number) {
  const type =
    status === 429
      ? 'rate_limit_exceeded'
      : status === 401
        ? 'invalid_request_error'
        : status >= 500
          ? 'server_error'
          : 'invalid_request_error';
  return { error: { message: `llm-stub injected failure (HTTP ${status})`, type, param: null, code: type } };
}
