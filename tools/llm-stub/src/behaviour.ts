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
}

export const defaultBehaviour = (): Behaviour => ({ reply: null, fail: null, delay_ms: 0, hang: false });

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
  if ('hang' in patch) {
    if (typeof patch.hang !== 'boolean') throw new BehaviourError('hang must be a boolean');
    next.hang = patch.hang;
  }
  return next;
}
