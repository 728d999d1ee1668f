/** Adjustable behaviour of the LLM stub (POST /__admin/behaviour). */

export interface Behaviour {
  /** Fixed reply content; null means the default echo-style reply. */
  reply: string | null;
  /** The next `count` completion requests answer `status` with an OpenAI error body. */
  fail: { status: number; count: number } | null;
  /** Delay before answering, in milliseconds. */
  delay_ms: number;
  /** Never answer completion requests (until the behaviour is changed or reset). */
  hang: boolean;
  /** Streams: milliseconds from the response headers to the first content token. */
  first_token_delay_ms: number;
  /** Streams: milliseconds between content tokens. */
  token_delay_ms: number;
  /** Streams: send this many content tokens, then nothing more (the connection stays open). */
  stall_after_tokens: number | null;
}

export const defaultBehaviour = (): Behaviour => ({
  reply: null,
  fail: null,
  delay_ms: 0,
  hang: false,
  first_token_delay_ms: 0,
  token_delay_ms: 0,
  stall_after_tokens: null,
});

function nonNegative(patch: Record<string, unknown>, key: string): number {
  const v = patch[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new BehaviourError(`${key} must be >= 0`);
  return v;
}

export class BehaviourError extends Error {}

export function applyBehaviour(current: Behaviour, patch: Record<string, unknown>): Behaviour {
  const next: Behaviour = { ...current };
  if ('reply' in patch) {
    if (patch.reply !== null && typeof patch.reply !== 'string')
      throw new BehaviourError('reply must be a string or null');
    next.reply = patch.reply;
  }
  if ('fail' in patch) {
    const fail = patch.fail as Record<string, unknown> | null;
    if (fail === null) next.fail = null;
    else {
      const status = fail?.status;
      const count = fail?.count;
      if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
        throw new BehaviourError('fail.status must be an HTTP error status');
      }
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
        throw new BehaviourError('fail.count must be a positive integer');
      }
      next.fail = { status, count };
    }
  }
  if ('delay_ms' in patch) {
    if (typeof patch.delay_ms !== 'number' || patch.delay_ms < 0)
      throw new BehaviourError('delay_ms must be >= 0');
    next.delay_ms = patch.delay_ms;
  }
  if ('first_token_delay_ms' in patch) next.first_token_delay_ms = nonNegative(patch, 'first_token_delay_ms');
  if ('token_delay_ms' in patch) next.token_delay_ms = nonNegative(patch, 'token_delay_ms');
  if ('stall_after_tokens' in patch) {
    const n = patch.stall_after_tokens;
    if (n !== null && (typeof n !== 'number' || !Number.isInteger(n) || n < 0)) {
      throw new BehaviourError('stall_after_tokens must be an integer >= 0 or null');
    }
    next.stall_after_tokens = n;
  }
  if ('hang' in patch) {
    if (typeof patch.hang !== 'boolean') throw new BehaviourError('hang must be a boolean');
    next.hang = patch.hang;
  }
  return next;
}
