import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PostCallSmsState } from '@nixflex/common';
import { TransactionalRepository } from '@nixflex/common/db';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { Call } from './call.entities';

/** A claimed wrap-up: the call's id and when its wrap-up was first tried. */
export interface WrapupClaim {
  id: string;
  startedAt: Date;
  attempts: number;
}

/**
 * The wrap-up's statements on `calls`: claim an ended call's wrap-up with a
 * lease, record each step once (summary, post-call SMS), put a failed run off,
 * and close the wrap-up. Each step's write only fills what is still empty, so
 * a second run (a lease that ran out under a slow worker) changes nothing.
 */
@Injectable()
export class WrapupRepository extends TransactionalRepository {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds);
  }

  /**
   * Claims the oldest due wrap-up for one run: SKIP LOCKED lets several voice
   * instances share the work, and the lease (`wrapup_due_at` pushed out by
   * `leaseMs`) hands the call to another run if this process dies.
   */
  async claimNext(leaseMs: number): Promise<WrapupClaim | undefined> {
    const rows: { id: string; wrapup_started_at: Date; wrapup_attempts: number }[] = await this.ds.query(
      `WITH due AS (
         SELECT "id" FROM "voice"."calls"
         WHERE "wrapup_state" = 'pending' AND "wrapup_due_at" <= now()
         ORDER BY "wrapup_due_at"
         LIMIT 1
         FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE "voice"."calls" c
         SET "wrapup_due_at" = now() + make_interval(secs => $1::double precision / 1000),
             "wrapup_attempts" = c."wrapup_attempts" + 1,
             "wrapup_started_at" = COALESCE(c."wrapup_started_at", now())
         FROM due WHERE c."id" = due."id"
         RETURNING c."id", c."wrapup_started_at", c."wrapup_attempts"
       )
       SELECT * FROM claimed`,
      [leaseMs],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { id: row.id, startedAt: new Date(row.wrapup_started_at), attempts: row.wrapup_attempts };
  }

  findById(id: string): Promise<Call | null> {
    return this.ds.manager.findOne(Call, { where: { id } });
  }

  /** Stores the summary step's outcome, unless one is stored already; the call as stored. */
  async recordSummary(
    id: string,
    summary: string | null,
    state: NonNullable<Call['summaryState']>,
  ): Promise<void> {
    await this.ds.manager.update(
      Call,
      { id, summaryState: IsNull() },
      { summary, summaryState: state, updatedAt: () => 'now()' },
    );
  }

  /** Stores what became of the post-call SMS, unless something is stored already. */
  async recordPostCallSms(
    id: string,
    state: PostCallSmsState,
    details: { messageId?: string | null; error?: string | null } = {},
  ): Promise<void> {
    await this.ds.manager.update(
      Call,
      { id, postCallSmsState: IsNull() },
      {
        postCallSmsState: state,
        postCallSmsId: details.messageId ?? null,
        postCallSmsError: details.error?.slice(0, 500) ?? null,
        updatedAt: () => 'now()',
      },
    );
  }

  /** A run that could not finish: due again after `delayMs`. */
  async putOff(id: string, delayMs: number, error: string): Promise<void> {
    await this.ds.query(
      `UPDATE "voice"."calls"
       SET "wrapup_due_at" = now() + make_interval(secs => $2::double precision / 1000), "wrapup_last_error" = $3
       WHERE "id" = $1 AND "wrapup_state" = 'pending'`,
      [id, delayMs, error.slice(0, 500)],
    );
  }

  /** The call, locked, if its wrap-up is still pending (the closing transaction's guard). */
  lockPending(m: EntityManager, id: string): Promise<Call | null> {
    return m.findOne(Call, {
      where: { id, wrapupState: 'pending' },
      lock: { mode: 'pessimistic_write' },
    });
  }

  async markDone(m: EntityManager, id: string): Promise<void> {
    await m.update(Call, { id }, { wrapupState: 'done', wrapupDueAt: null, updatedAt: () => 'now()' });
  }
}
