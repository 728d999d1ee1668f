import { Injectable } from '@nestjs/common';
import { CustomerEvents, MessagingEvents, Outbox } from '@nixflex/common';
import type { EntityManager } from 'typeorm';
import { MessagesRepository, WaitingEnd } from '../data';
import { customerErrorMessage } from '../status/status-customer-event';
import { statusRank } from '../status/status-rules';

/** The error code of a message not handed to Twilio before its `expires_at`. */
export const EXPIRED = 'expired';
export const EXPIRED_MESSAGE = 'Not handed to Twilio before its expires_at';
/** The error code of a message canceled because its recipient opted out before it went. */
export const RECIPIENT_OPTED_OUT = 'recipient_opted_out';
export const RECIPIENT_OPTED_OUT_MESSAGE = 'The recipient opted out (STOP) before it was sent';

/**
 * Messages that end without ever reaching Twilio, many at a time, each
 * through the same steps as the status machine (history row,
 * `sms.status-updated.v1`, the customer's `sms.status_updated`), in one
 * statement per batch: expired ones (`failed`/`expired`) and those of a
 * recipient who opted out (`canceled`/`recipient_opted_out`).
 */
@Injectable()
export class WaitingEnds {
  constructor(
    private readonly repo: MessagesRepository,
    private readonly outbox: Outbox,
  ) {}

  /** Up to `limit` `scheduled` or unclaimed `queued` messages whose `expires_at` passed at `now`: `failed`/`expired`. */
  async expireDue(which: 'scheduled' | 'queued', now: Date, limit: number, source: WaitingEnd['source']) {
    const ids = await this.repo.expireDue(which, now, limit, end('failed', EXPIRED, EXPIRED_MESSAGE, source));
    if (ids.length > 0) this.outbox.kick();
    return ids;
  }

  /**
   * In the opt-out's transaction `m`: what is still waiting for `recipient`
   * from `ourNumber` becomes `canceled`/`recipient_opted_out`. The caller
   * kicks the outbox after its commit.
   */
  cancelForOptOut(
    m: EntityManager,
    optOut: { accountId: string; ourNumber: string; recipient: string },
    source: WaitingEnd['source'],
  ): Promise<string[]> {
    return this.repo.cancelPendingTo(
      m,
      optOut,
      end('canceled', RECIPIENT_OPTED_OUT, RECIPIENT_OPTED_OUT_MESSAGE, source),
    );
  }
}

function end(
  status: WaitingEnd['status'],
  errorCode: string,
  errorMessage: string,
  source: WaitingEnd['source'],
): WaitingEnd {
  return {
    status,
    statusRank: statusRank(status),
    at: new Date(),
    errorCode,
    errorMessage,
    customerErrorMessage: customerErrorMessage(errorCode),
    source,
    routingKey: MessagingEvents.smsStatusUpdated,
    customerRoutingKey: CustomerEvents.emit,
  };
}
