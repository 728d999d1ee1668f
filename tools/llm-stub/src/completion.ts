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

export function promptText(messages: unknown): string {
  return Array.isArray(messages) ? messages.map((m) => textOf((m as ChatMessage)?.content)).join('\n') : '';
}

export function completionId(): string {
  return 'chatcmpl-' + randomBytes(12).toString('hex');
}

export function chatCompletion(model: string, messages: unknown, content: string) {
  const promptTokens = tokens(promptText(messages));
  const completionTokens = tokens(content);
  return {
    id: completionId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
    system_fingerprint: 'llm-stub',
  };
}

/** Server-sent events for `stream: true`: one role chunk, one content chunk, a stop chunk, [DONE]. */
export function chatCompletionStream(model: string, content: string): string {
  const id = completionId();
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    `data: ${JSON.stringify({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    })}\n\n`;
  return (
    chunk({ role: 'assistant', content: '' }, null) +
    chunk({ content }, null) +
    chunk({}, 'stop') +
    'data: [DONE]\n\n'
  );
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
