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
  /**
   * Scripted answers, consumed in order of use: a completion request takes
   * the first entry whose `match` is found (case-insensitive) in the text of
   * its last message (any role, so a tool result can be matched), or the
   * first entry without `match`. An entry is used once. No entry matches:
   * `reply`, else the default reply.
   */
  script: ScriptEntry[];
}

/** One scripted answer: text (streamed token by token), tool calls (after the text), or both. */
export interface ScriptEntry {
  match?: string;
  reply?: string;
  tool_calls?: { name: string; arguments: Record<string, unknown> | string }[];
}

export const defaultBehaviour = (): Behaviour => ({
  reply: null,
  fail: null,
  delay_ms: 0,
  hang: false,
  first_token_delay_ms: 0,
  token_delay_ms: 0,
  stall_after_tokens: null,
  script: [],
});

function scriptEntry(raw: unknown, i: number): ScriptEntry {
  if (!raw || typeof raw !== 'object') throw new BehaviourError(`script[${i}] must be an object`);
  const e = raw as Record<string, unknown>;
  const out: ScriptEntry = {};
  if (e.match !== undefined) {
    if (typeof e.match !== 'string') throw new BehaviourError(`script[${i}].match must be a string`);
    out.match = e.match;
  }
  if (e.reply !== undefined) {
    if (typeof e.reply !== 'string') throw new BehaviourError(`script[${i}].reply must be a string`);
    out.reply = e.reply;
  }
  if (e.tool_calls !== undefined) {
    if (!Array.isArray(e.tool_calls)) throw new BehaviourError(`script[${i}].tool_calls must be an array`);
    out.tool_calls = e.tool_calls.map((c: unknown, j) => {
      const call = c as Record<string, unknown> | null;
      const args = call?.arguments;
      if (
        typeof call?.name !== 'string' ||
        (typeof args !== 'string' && (typeof args !== 'object' || !args))
      ) {
        throw new BehaviourError(`script[${i}].tool_calls[${j}] needs a name and arguments`);
      }
      return { name: call.name, arguments: args as Record<string, unknown> | string };
    });
  }
  if (out.reply === undefined && out.tool_calls === undefined) {
    throw new BehaviourError(`script[${i}] needs reply or tool_calls`);
  }
  return out;
}

/**
 * Takes the entry that answers a request whose last message reads `lastText`
 * (removing it), or null. With `toolsAllowed` false (the request said
 * `tool_choice: "none"`, or offered no tools) entries with tool calls are passed over, as a model would.
 */
export function takeScripted(b: Behaviour, lastText: string, toolsAllowed = true): ScriptEntry | null {
  const text = lastText.toLowerCase();
  const i = b.script.findIndex(
    (e) =>
      (toolsAllowed || e.tool_calls === undefined) &&
      (e.match === undefined || text.includes(e.match.toLowerCase())),
  );
  if (i < 0) return null;
  return b.script.splice(i, 1)[0];
}

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
  if ('script' in patch) {
    if (!Array.isArray(patch.script)) throw new BehaviourError('script must be an array');
    next.script = patch.script.map(scriptEntry);
  }
  if ('hang' in patch) {
    if (typeof patch.hang !== 'boolean') throw new BehaviourError('hang must be a boolean');
    next.hang = patch.hang;
  }
  return next;
}
