import { Env, EnvReader } from '@nixflex/common';

/** Tunables of per-sender pacing (docs/campaigns.md, "Pacing"). */
export interface PacingSettings {
  /** `SMS_PACING`: `on` (default) or `off` (no pacing at all: the throughput bench). */
  enabled: boolean;
  /** `SMS_PACE_HORIZON_MS`: how far ahead of now bulk traffic may book its sender's slots. */
  horizonMs: number;
  /** `SMS_PACE_429_BACKOFF_MS` / `_MAX_MS`: the pause after Twilio's 429, doubling per repeat up to the max. */
  backoff429Ms: number;
  backoff429MaxMs: number;
  /** `SMS_PACE_21611_BACKOFF_MS`: the pause after 21611 (the sender's queue at Twilio is full). */
  backoff21611Ms: number;
  /** `SMS_PACE_RELEASE_MS`: the releaser's period while paced work is due (finer than the 1 s poll). */
  releaseTickMs: number;
  /**
   * `SMS_PACE_MAX_WAIT_MS`: the longest an interactive send waits for its
   * slot inside its handler (never beyond the lease margin); unset = the
   * lease margin. A longer backlog hands the message back for later.
   */
  maxWaitMs: number | null;
}

export function loadPacingSettings(env: Env = process.env): PacingSettings {
  const r = new EnvReader(env);
  const backoff429Ms = r.int('SMS_PACE_429_BACKOFF_MS', 1000, 1);
  return r.done({
    enabled: r.oneOf('SMS_PACING', 'on', ['on', 'off'] as const) === 'on',
    horizonMs: r.int('SMS_PACE_HORIZON_MS', 1000, 50, 60_000),
    backoff429Ms,
    backoff429MaxMs: Math.max(backoff429Ms, r.int('SMS_PACE_429_BACKOFF_MAX_MS', 30_000, 1)),
    backoff21611Ms: r.int('SMS_PACE_21611_BACKOFF_MS', 60_000, 1),
    releaseTickMs: r.int('SMS_PACE_RELEASE_MS', 100, 10, 1000),
    maxWaitMs: r.optional('SMS_PACE_MAX_WAIT_MS') === undefined ? null : r.int('SMS_PACE_MAX_WAIT_MS', 0, 0),
  });
}

export const PACING_SETTINGS = 'SMS_PACING_SETTINGS';

let fromEnv: PacingSettings | undefined;
/** The process's settings, read once (for callers outside Nest's injection, e.g. `paceOf`). */
export function pacingSettings(): PacingSettings {
  fromEnv ??= loadPacingSettings();
  return fromEnv;
}
