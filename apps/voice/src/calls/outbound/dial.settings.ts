import { Env, EnvReader } from '@nixflex/common';

/**
 * Tunables of the dialler, read once from the environment with documented
 * defaults (docs/voice.md lists them). Kept here, as SMS keeps its
 * sender's, because only the voice service reads them.
 */
export interface DialSettings {
  /** How long a claimed attempt may run before another worker treats it as abandoned (and reconciles). */
  leaseMs: number;
  /** Twilio request timeout; at most half the lease so an attempt always ends inside it. */
  twilioTimeoutMs: number;
  /** Poller period: retries that came due, abandoned claims, calls whose dial event was lost. */
  pollMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Attempts before a call that Twilio never answered ends `failed` with `twilio_unavailable`. */
  maxAttempts: number;
}

/** Every bad variable is reported at once (one error listing them all). */
export function loadDialSettings(env: Env = process.env): DialSettings {
  const r = new EnvReader(env);
  const leaseMs = r.int('CALLS_DIAL_LEASE_MS', 30_000, 1000);
  return r.done({
    leaseMs,
    twilioTimeoutMs: Math.min(r.int('CALLS_TWILIO_TIMEOUT_MS', 10_000, 100), Math.floor(leaseMs / 2)),
    pollMs: r.int('CALLS_DIAL_POLL_MS', 1000, 50),
    retryBaseMs: r.int('CALLS_RETRY_BASE_MS', 1000, 10),
    retryMaxMs: r.int('CALLS_RETRY_MAX_MS', 60_000, 10),
    maxAttempts: r.int('CALLS_MAX_DIAL_ATTEMPTS', 10, 1),
  });
}

export const DIAL_SETTINGS = 'DIAL_SETTINGS';

/** Exponential backoff with full jitter in [0.5, 1.5) of the step, capped. */
export function dialRetryDelayMs(s: DialSettings, attempt: number, random = Math.random): number {
  const step = Math.min(s.retryBaseMs * 2 ** Math.max(0, attempt - 1), s.retryMaxMs);
  return Math.round(step * (0.5 + random()));
}
