import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TransactionalRepository } from '@nixflex/common/db';
import { Page, WebhookDeliveryStatus, WebhookFailureReason } from '@nixflex/common';
import { KeysetRequest, keysetPage } from '@nixflex/common/db/keyset';
import { DataSource, EntityManager } from 'typeorm';
import { WebhookAttempt, WebhookDelivery, WebhookEndpoint } from '../entities';

const S = '"webhooks"';

/** A delivery this process claimed for one attempt. */
export interface ClaimedDelivery {
  id: string;
  account_id: string;
  event_id: string;
  url: string;
  payload: string;
  attempt: number;
  claim_token: string;
}

/** How an attempt ended, as the worker judged it. */
export interface AttemptResult {
  status: Extract<WebhookDeliveryStatus, 'pending' | 'delivered' | 'failed'>;
  httpStatus: number | null;
  error: string | null;
  durationMs: number;
  failureReason: WebhookFailureReason | null;
  /** For 'pending': when to try again. */
  retryInMs?: number;
  /** 410 Gone: disable the URL for the account. */
  disableEndpoint?: boolean;
}

export interface NewDelivery {
  id: string;
  accountId: string;
  eventId: string;
  eventType: WebhookDelivery['eventType'];
  phoneNumber: string | null;
  agentId: string | null;
  url: string;
  payload: string;
  skipped: boolean;
}

@Injectable()
export class DeliveriesRepository extends TransactionalRepository {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds);
  }

  async isEndpointDisabled(
    accountId: string,
    url: string,
    m: EntityManager = this.ds.manager,
  ): Promise<boolean> {
    return (await m.countBy(WebhookEndpoint, { accountId, url })) > 0;
  }

  /** Inserts the delivery; false when one already exists for the event (a backstop to the inbox). */
  async insert(d: NewDelivery, m: EntityManager): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `INSERT INTO ${S}."customer_webhook_deliveries"
         (id, account_id, event_id, event_type, phone_number, agent_id, url, payload, status,
          next_attempt_at, failure_reason, last_error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (event_id) DO NOTHING RETURNING id`,
      [
        d.id,
        d.accountId,
        d.eventId,
        d.eventType,
        d.phoneNumber,
        d.agentId,
        d.url,
        d.payload,
        d.skipped ? 'skipped' : 'pending',
        d.skipped ? null : new Date(),
        d.skipped ? 'endpoint_disabled' : null,
        d.skipped ? 'not sent: this URL answered 410 Gone earlier and is disabled' : null,
      ],
    );
    return rows.length > 0;
  }

  /**
   * Claims up to `limit` due deliveries for one attempt each. SKIP LOCKED lets
   * several pollers (instances) share the table without waiting on or taking
   * each other's rows; the lease (next_attempt_at pushed past the HTTP
   * timeout) is what makes a claim survive a crash: if this process dies, the
   * row comes due again when the lease ends. The attempt row is written in the
   * same statement; an earlier attempt still open was cut short by a crash.
   */
  async claimDue(limit: number, leaseMs: number, token: string): Promise<ClaimedDelivery[]> {
    return this.ds.query(
      `WITH due AS (
         SELECT id FROM ${S}."customer_webhook_deliveries"
         WHERE status = 'pending' AND next_attempt_at <= now()
         ORDER BY next_attempt_at
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       ), interrupted AS (
         UPDATE ${S}."customer_webhook_attempts" a
         SET finished_at = now(), error = 'interrupted: the delivering process stopped before the attempt finished'
         FROM due WHERE a.delivery_id = due.id AND a.finished_at IS NULL
       ), claimed AS (
         UPDATE ${S}."customer_webhook_deliveries" d
         SET attempt_count = d.attempt_count + 1, claim_token = $2,
             next_attempt_at = now() + make_interval(secs => $3::double precision / 1000), updated_at = now()
         FROM due WHERE d.id = due.id
         RETURNING d.id, d.account_id, d.event_id, d.url, d.payload, d.attempt_count AS attempt, d.claim_token
       ), started AS (
         INSERT INTO ${S}."customer_webhook_attempts" (delivery_id, attempt, started_at)
         SELECT id, attempt, now() FROM claimed
       )
       SELECT * FROM claimed`,
      [limit, token, leaseMs],
    );
  }

  /**
   * Records an attempt's outcome. The delivery is updated only if this claim
   * still holds it (a process that overran its lease does not overwrite the
   * newer attempt's state). A 410 disables the URL for the account and skips
   * its other pending deliveries, in the same transaction.
   */
  async complete(c: ClaimedDelivery, r: AttemptResult): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.query(
        `UPDATE ${S}."customer_webhook_attempts"
         SET finished_at = now(), duration_ms = $3, http_status = $4, error = $5
         WHERE delivery_id = $1 AND attempt = $2`,
        [c.id, c.attempt, r.durationMs, r.httpStatus, r.error],
      );
      const updated: unknown[] = await m.query(
        `UPDATE ${S}."customer_webhook_deliveries"
         SET status = $3, last_http_status = $4, last_error = $5, failure_reason = $6, claim_token = NULL,
             next_attempt_at = CASE WHEN $3 = 'pending'
               THEN now() + make_interval(secs => $7::double precision / 1000) END,
             delivered_at = CASE WHEN $3 = 'delivered' THEN now() END,
             updated_at = now()
         WHERE id = $1 AND claim_token = $2 AND status = 'pending'
         RETURNING id`,
        [c.id, c.claim_token, r.status, r.httpStatus, r.error, r.failureReason, r.retryInMs ?? 0],
      );
      if (r.disableEndpoint && updated.length > 0) {
        await m.query(
          `INSERT INTO ${S}."customer_webhook_endpoints" (account_id, url, disabled_reason, disabled_by_delivery_id)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
          [c.account_id, c.url, 'endpoint answered 410 Gone', c.id],
        );
        await m.query(
          `UPDATE ${S}."customer_webhook_deliveries"
           SET status = 'skipped', failure_reason = 'endpoint_disabled', next_attempt_at = NULL, claim_token = NULL,
               last_error = 'not sent: this URL answered 410 Gone and is disabled', updated_at = now()
           WHERE account_id = $1 AND url = $2 AND status = 'pending' AND id <> $3`,
          [c.account_id, c.url, c.id],
        );
      }
    });
  }

  /** The URL was disabled after this delivery was queued: it is skipped and the claimed attempt undone. */
  async skipDisabled(c: ClaimedDelivery): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.query(`DELETE FROM ${S}."customer_webhook_attempts" WHERE delivery_id = $1 AND attempt = $2`, [
        c.id,
        c.attempt,
      ]);
      await m.query(
        `UPDATE ${S}."customer_webhook_deliveries"
         SET status = 'skipped', failure_reason = 'endpoint_disabled', next_attempt_at = NULL, claim_token = NULL,
             attempt_count = attempt_count - 1, updated_at = now(),
             last_error = 'not sent: this URL answered 410 Gone and is disabled'
         WHERE id = $1 AND claim_token = $2 AND status = 'pending'`,
        [c.id, c.claim_token],
      );
    });
  }

  list(
    accountId: string,
    opts: { status?: WebhookDeliveryStatus } & KeysetRequest,
  ): Promise<Page<WebhookDelivery>> {
    const qb = this.ds
      .getRepository(WebhookDelivery)
      .createQueryBuilder('d')
      .where('d.account_id = :accountId', { accountId });
    if (opts.status) qb.andWhere('d.status = :status', { status: opts.status });
    return keysetPage(qb, 'd', opts);
  }

  /** Another account's delivery is not found, exactly like a missing one. */
  findForAccount(accountId: string, id: string): Promise<WebhookDelivery | null> {
    return this.ds.manager.findOneBy(WebhookDelivery, { id, accountId });
  }

  attemptsOf(deliveryId: string): Promise<WebhookAttempt[]> {
    return this.ds.manager.find(WebhookAttempt, { where: { deliveryId }, order: { attempt: 'ASC' } });
  }
}
