/**
 * CallScript: what the simulated caller (inbound) or callee (outbound) does
 * once a ConversationRelay session is up. JSON, validated here so a bad
 * script is a 400 at placement rather than a confusing call report.
 */

export type Step =
  | { say: string; barge_in_after_tokens?: number; partials?: boolean }
  | { dtmf: string }
  | { silence_ms: number }
  | { hangup: true };

export interface CallScript {
  steps: Step[];
  then: 'hangup' | 'wait_for_end';
  turn_timeout_ms: number;
  timeout_ms: number;
}

export const DEFAULT_TURN_TIMEOUT_MS = 10_000;
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/** What a callee does when no script was set for its number (PUT /__admin/callee-scripts/:phone). */
export const DEFAULT_CALLEE_SCRIPT: CallScript = {
  steps: [{ say: 'Hello?' }],
  then: 'hangup',
  turn_timeout_ms: DEFAULT_TURN_TIMEOUT_MS,
  timeout_ms: DEFAULT_CALL_TIMEOUT_MS,
};

export class ScriptError extends Error {}

type Json = Record<string, unknown>;

function positiveNumber(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ScriptError(`${name} must be a positive number of milliseconds`);
  }
  return value;
}

function parseStep(raw: unknown, i: number): Step {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new ScriptError(`steps[${i}] must be an object`);
  const s = raw as Json;
  if ('say' in s) {
    if (typeof s.say !== 'string') throw new ScriptError(`steps[${i}].say must be a string`);
    const step: Step = { say: s.say };
    if (s.barge_in_after_tokens !== undefined) {
      const n = s.barge_in_after_tokens;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
        throw new ScriptError(`steps[${i}].barge_in_after_tokens must be a positive integer`);
      }
      step.barge_in_after_tokens = n;
    }
    if (s.partials !== undefined) {
      if (typeof s.partials !== 'boolean') throw new ScriptError(`steps[${i}].partials must be a boolean`);
      step.partials = s.partials;
    }
    return step;
  }
  if ('dtmf' in s) {
    if (typeof s.dtmf !== 'string' || !/^[0-9*#]+$/.test(s.dtmf)) {
      throw new ScriptError(`steps[${i}].dtmf must be digits, * or #`);
    }
    return { dtmf: s.dtmf };
  }
  if ('silence_ms' in s) {
    if (typeof s.silence_ms !== 'number' || !Number.isFinite(s.silence_ms) || s.silence_ms < 0) {
      throw new ScriptError(`steps[${i}].silence_ms must be a number >= 0`);
    }
    return { silence_ms: s.silence_ms };
  }
  if (s.hangup === true) return { hangup: true };
  throw new ScriptError(`steps[${i}] must have say, dtmf, silence_ms or hangup: true`);
}

/** Validates a CallScript from JSON; `undefined` gives `fallback`. */
export function parseCallScript(raw: unknown, fallback: CallScript = DEFAULT_CALLEE_SCRIPT): CallScript {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ScriptError('script must be an object');
  const s = raw as Json;
  if (s.steps !== undefined && !Array.isArray(s.steps))
    throw new ScriptError('script.steps must be an array');
  const steps = ((s.steps as unknown[] | undefined) ?? []).map(parseStep);
  const then = s.then ?? 'hangup';
  if (then !== 'hangup' && then !== 'wait_for_end') {
    throw new ScriptError('script.then must be "hangup" or "wait_for_end"');
  }
  return {
    steps,
    then,
    turn_timeout_ms: positiveNumber(s.turn_timeout_ms, 'script.turn_timeout_ms', DEFAULT_TURN_TIMEOUT_MS),
    timeout_ms: positiveNumber(s.timeout_ms, 'script.timeout_ms', DEFAULT_CALL_TIMEOUT_MS),
  };
}
