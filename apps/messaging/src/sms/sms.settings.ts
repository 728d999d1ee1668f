import { Env, EnvReader } from '@nixflex/common';

/**
 * Tunables of the SMS sender, read once from the environment with documented
 * defaults (docs/sms.md lists them). Kept here rather than in the shared
 * config because only this service reads them.
 */
export interface SmsSettings {
  /** A message still `sent` this long after reaching `sent` is flagged `soft_failure`. */
  softFailureAfterMs: number;
  /** A non-final sent message whose status has not moved this long is asked for at Twilio. */
  statusReconcileAfterMs: number;
  /** How long a claimed send may run before another worker treats it as abandoned (and reconciles). */
  leaseMs: number;
  /** Twilio request timeout; below the lease so an attempt always ends before its lease. */
  twilioTimeoutMs: number;
  /** Poller period: retries that came due, abandoned claims, soft failures. */
  pollMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Attempts before a message that Twilio never answered ends `failed`. */
  maxAttempts: number;
}

/** Every bad variable is reported at once (one error listing them all). */
export function loadSmsSettings(env: Env = process.env): SmsSettings {
  const r = new EnvReader(env);
  const leaseMs = r.int('SMS_DISPATCH_LEASE_MS', 30_000, 1000);
  return r.done({
    softFailureAfterMs: r.int('SMS_SENT_SOFT_FAILURE_AFTER_MS', 10 * 60_000, 1),
    statusReconcileAfterMs: r.int('SMS_STATUS_RECONCILE_AFTER_MS', 2 * 60_000, 100),
    leaseMs,
    twilioTimeoutMs: Math.min(r.int('SMS_TWILIO_TIMEOUT_MS', 10_000, 100), Math.floor(leaseMs / 2)),
    pollMs: r.int('SMS_DISPATCH_POLL_MS', 1000, 50),
    retryBaseMs: r.int('SMS_RETRY_BASE_MS', 1000, 10),
    retryMaxMs: r.int('SMS_RETRY_MAX_MS', 5 * 60_000, 10),
    maxAttempts: r.int('SMS_MAX_SEND_ATTEMPTS', 15, 1),
  });
}

export const SMS_SETTINGS = 'SMS_SETTINGS';

/** Exponential backoff with full jitter in [0.5, 1.5) of the step, capped. */
export function retryDelayMs(s: SmsSettings, attempt: number, random = Math.random): number {
  const step = Math.min(s.retryBaseMs * 2 ** Math.max(0, attempt - 1), s.retryMaxMs);
  return Math.round(step * (0.5 + random()));
}
