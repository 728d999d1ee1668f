import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InboxEntry } from '@nixflex/common';
import { DataSource, EntityManager } from 'typeorm';
import type { CallbackOutcome } from '../status/status-rules';
import { tableOf } from './sql-names';
import { SmsStatusCallback } from './sms.entities';
import { TransactionalRepository } from '@nixflex/common/db';

/**
 * Every statement on `status_callbacks` but the two that fold it into a
 * message statement (`MessagesRepository.applyCallbackToOwnedSid` records,
 * `storeSidAndTakeParked` reads the parked ones), and the per-SID lock that
 * orders a callback against the sender storing its SID.
 */
@Injectable()
export class StatusCallbacksRepository extends TransactionalRepository {
  private readonly sql: { insert: string; claimAndLock: string };

  constructor(@InjectDataSource() ds: DataSource) {
    super(ds);
    const callbacks = tableOf(ds, SmsStatusCallback);
    const inbox = tableOf(ds, InboxEntry);
    this.sql = {
      insert: `INSERT INTO ${callbacks} ("twilio_sid", "status", "error_code", "received_at", "applied_at", "outcome")
       VALUES ($1, $2, $3, $4, CASE WHEN $5::text IS NULL THEN NULL ELSE now() END, $5)`,
      claimAndLock: `WITH claimed AS (
         INSERT INTO ${inbox} ("message_id", "handler") VALUES ($1, $2)
         ON CONFLICT DO NOTHING RETURNING 1
       )
       SELECT pg_advisory_xact_lock(hashtextextended($3, 7002)) FROM claimed`,
    };
  }

  /**
   * Orders everything done for one Twilio SID (storing it after a send,
   * applying its callbacks), so a callback that raced ahead of the stored SID
   * is parked and then applied, never lost.
   */
  async lockSid(m: EntityManager, sid: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7002))`, [sid]);
  }

  /**
   * The inbox claim of a callback event and the SID lock in one statement:
   * false (and no lock) when this event was already consumed.
   */
  async claimEventAndLockSid(
    m: EntityManager,
    eventId: string,
    handler: string,
    sid: string,
  ): Promise<boolean> {
    if (!eventId) {
      await this.lockSid(m, sid);
      return true;
    }
    const rows = await m.query<unknown[]>(this.sql.claimAndLock, [eventId, handler, sid]);
    return rows.length > 0;
  }

  /** Records a callback: with its outcome when it was dealt with, or parked (no outcome) until its SID is stored. */
  async insert(
    m: EntityManager,
    row: Pick<SmsStatusCallback, 'twilioSid' | 'status' | 'errorCode' | 'receivedAt' | 'outcome'>,
  ): Promise<void> {
    await m.query(this.sql.insert, [row.twilioSid, row.status, row.errorCode, row.receivedAt, row.outcome]);
  }

  async markApplied(m: EntityManager, id: string, outcome: CallbackOutcome): Promise<void> {
    await m.update(SmsStatusCallback, { id }, { appliedAt: new Date(), outcome });
  }

  /** Forgets callbacks that no message ever claimed. */
  async purgeOrphans(olderThanMs: number): Promise<void> {
    await this.ds
      .createQueryBuilder()
      .delete()
      .from(SmsStatusCallback)
      .where('applied_at IS NULL AND received_at < now() - make_interval(secs => :ms::float8 / 1000)', {
        ms: olderThanMs,
      })
      .execute();
  }
}
