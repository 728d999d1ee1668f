import { Env, EnvReader, config } from '@nixflex/common';

/**
 * Settings of customer webhook delivery, read once at boot (a bad value
 * stops the service with every problem listed). See docs/customer-webhooks.md.
 */
export interface CustomerWebhooksConfig {
  /** Delay before retry n (after failed attempt n); attempts = length + 1. */
  retryScheduleMs: number[];
  /** Each delay is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
  timeoutMs: number;
  pollMs: number;
  concurrency: number;
  /** How long the previous secret still signs after a rotation. */
  secretGraceMs: number;
  allowLoopback: boolean;
  httpsOnly: boolean;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** 11 attempts over ~31.7 h: still more than 24 h with the worst-case jitter (x0.8). */
export const DEFAULT_RETRY_SCHEDULE_MS = [
  30_000,
  2 * MINUTE,
  10 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  4 * HOUR,
  8 * HOUR,
  8 * HOUR,
  8 * HOUR,
];

export function loadCustomerWebhooksConfig(env: Env = process.env): CustomerWebhooksConfig {
  const r = new EnvReader(env);
  const base = config();
  return r.done({
    retryScheduleMs: r.intList(
      'CUSTOMER_WEBHOOK_RETRY_SCHEDULE_MS',
      DEFAULT_RETRY_SCHEDULE_MS,
      1,
      7 * 24 * HOUR,
      50,
    ),
    jitter: 0.2,
    timeoutMs: r.int('CUSTOMER_WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
    pollMs: r.int('CUSTOMER_WEBHOOK_POLL_MS', 1000, 10, 60_000),
    concurrency: r.int('CUSTOMER_WEBHOOK_CONCURRENCY', 16, 1, 256),
    secretGraceMs: r.int('CUSTOMER_WEBHOOK_SECRET_GRACE_MS', 24 * HOUR, 0, 30 * 24 * HOUR),
    allowLoopback: base.allowLoopbackWebhooks,
    httpsOnly: base.nodeEnv === 'production',
  });
}

/** The delay before the next attempt after `attempt` (1-based) failed, or null when retries are used up. */
export function retryDelayMs(
  cfg: Pick<CustomerWebhooksConfig, 'retryScheduleMs' | 'jitter'>,
  attempt: number,
  random: () => number = Math.random,
): number | null {
  const base = cfg.retryScheduleMs[attempt - 1];
  if (base === undefined) return null;
  return Math.max(1, Math.round(base * (1 - cfg.jitter + 2 * cfg.jitter * random())));
}

export const CUSTOMER_WEBHOOKS_CONFIG = 'NIXFLEX_CUSTOMER_WEBHOOKS_CONFIG';
