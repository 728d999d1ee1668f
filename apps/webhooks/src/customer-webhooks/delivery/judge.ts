import type { CustomerWebhooksConfig } from '../customer-webhooks.config';
import { retryDelayMs } from '../customer-webhooks.config';
import type { AttemptResult } from './deliveries.repository';
import type { PostOutcome } from './guarded-http';

/**
 * What an attempt's outcome means for the delivery: 2xx delivered; 410 Gone
 * fails it and disables the URL; a refused URL or address fails it at once
 * (retrying cannot change the answer); anything else (other statuses,
 * redirects, timeouts, connection errors) is retried on the schedule until
 * it runs out.
 */
export function judge(
  outcome: PostOutcome,
  attempt: number,
  cfg: Pick<CustomerWebhooksConfig, 'retryScheduleMs' | 'jitter'>,
  random: () => number = Math.random,
): AttemptResult {
  const retryOrGiveUp = (httpStatus: number | null, error: string): AttemptResult => {
    const delay = retryDelayMs(cfg, attempt, random);
    return delay === null
      ? {
          status: 'failed',
          httpStatus,
          error,
          durationMs: outcome.durationMs,
          failureReason: 'retries_exhausted',
        }
      : {
          status: 'pending',
          httpStatus,
          error,
          durationMs: outcome.durationMs,
          failureReason: null,
          retryInMs: delay,
        };
  };
  switch (outcome.kind) {
    case 'refused':
      return {
        status: 'failed',
        httpStatus: null,
        error: outcome.error,
        durationMs: outcome.durationMs,
        failureReason: outcome.reason,
      };
    case 'error':
      return retryOrGiveUp(null, outcome.error);
    case 'response': {
      const s = outcome.status;
      if (s >= 200 && s < 300) {
        return {
          status: 'delivered',
          httpStatus: s,
          error: null,
          durationMs: outcome.durationMs,
          failureReason: null,
        };
      }
      if (s === 410) {
        return {
          status: 'failed',
          httpStatus: s,
          error: 'HTTP 410 Gone: endpoint disabled',
          durationMs: outcome.durationMs,
          failureReason: 'endpoint_gone',
          disableEndpoint: true,
        };
      }
      if (s >= 300 && s < 400) {
        const to = outcome.location ? ` to ${outcome.location.slice(0, 300)}` : '';
        return retryOrGiveUp(s, `HTTP ${s}: redirect${to} not followed`);
      }
      return retryOrGiveUp(s, `HTTP ${s}`);
    }
  }
}
