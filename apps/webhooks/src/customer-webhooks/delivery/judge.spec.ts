import {
  DEFAULT_RETRY_SCHEDULE_MS,
  loadCustomerWebhooksConfig,
  retryDelayMs,
} from '../customer-webhooks.config';
import { judge } from './judge';

const cfg = { retryScheduleMs: [100, 200, 400], jitter: 0.2 };
const mid = () => 0.5;

describe('judging an attempt', () => {
  it('2xx is delivered', () => {
    expect(judge({ kind: 'response', status: 200, durationMs: 5 }, 1, cfg, mid)).toMatchObject({
      status: 'delivered',
      httpStatus: 200,
    });
  });

  it('500, timeouts and redirects are retried on the schedule, then fail as retries_exhausted', () => {
    expect(judge({ kind: 'response', status: 500, durationMs: 5 }, 1, cfg, mid)).toMatchObject({
      status: 'pending',
      retryInMs: 100,
      error: 'HTTP 500',
    });
    expect(
      judge(
        { kind: 'error', error: 'connection refused', detail: 'ECONNREFUSED: 10.1.2.3:443', durationMs: 1 },
        3,
        cfg,
        mid,
      ),
    ).toMatchObject({ status: 'pending', retryInMs: 400, error: 'connection refused' });
    expect(
      judge({ kind: 'response', status: 301, location: 'https://x/', durationMs: 1 }, 2, cfg, mid),
    ).toMatchObject({ status: 'pending', error: 'HTTP 301: redirect to https://x/ not followed' });
    expect(judge({ kind: 'response', status: 500, durationMs: 5 }, 4, cfg, mid)).toMatchObject({
      status: 'failed',
      failureReason: 'retries_exhausted',
    });
  });

  it('410 fails and disables the endpoint; a refused address fails at once', () => {
    expect(judge({ kind: 'response', status: 410, durationMs: 5 }, 1, cfg, mid)).toMatchObject({
      status: 'failed',
      failureReason: 'endpoint_gone',
      disableEndpoint: true,
    });
    expect(
      judge(
        {
          kind: 'refused',
          reason: 'address_not_allowed',
          error: 'no',
          detail: 'address 10.0.0.1',
          durationMs: 0,
        },
        1,
        cfg,
        mid,
      ),
    ).toMatchObject({ status: 'failed', failureReason: 'address_not_allowed', error: 'no' });
  });
});

describe('retry schedule', () => {
  it('jitters each delay within +-20%', () => {
    expect(retryDelayMs(cfg, 1, () => 0)).toBe(80);
    expect(retryDelayMs(cfg, 1, () => 1)).toBe(120);
    expect(retryDelayMs(cfg, 4, () => 0.5)).toBeNull();
  });

  it('by default keeps retrying for more than a day even with the shortest jitter', () => {
    const total = DEFAULT_RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0) * 0.8;
    expect(total).toBeGreaterThan(24 * 3600_000);
    expect(DEFAULT_RETRY_SCHEDULE_MS[0]).toBe(30_000);
  });

  it('reads the schedule from CUSTOMER_WEBHOOK_RETRY_SCHEDULE_MS and rejects bad values', () => {
    expect(
      loadCustomerWebhooksConfig({ CUSTOMER_WEBHOOK_RETRY_SCHEDULE_MS: '100, 200,400' }).retryScheduleMs,
    ).toEqual([100, 200, 400]);
    expect(() => loadCustomerWebhooksConfig({ CUSTOMER_WEBHOOK_RETRY_SCHEDULE_MS: '100,abc' })).toThrow(
      /CUSTOMER_WEBHOOK_RETRY_SCHEDULE_MS/,
    );
    expect(() => loadCustomerWebhooksConfig({ CUSTOMER_WEBHOOK_TIMEOUT_MS: '5' })).toThrow(
      /CUSTOMER_WEBHOOK_TIMEOUT_MS/,
    );
  });
});
