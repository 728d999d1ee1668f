import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { decodeCursor, queryPrepared } from '@nixflex/common';
import { DataSource, EntityManager, In } from 'typeorm';
import {
  DispatchState,
  SmsIdempotencyKey,
  SmsMessage,
  SmsStatusCallback,
  SmsStatusHistory,
} from './sms.entities';

const SID = /^(SM|MM)[0-9a-fA-F]{32}$/;

export interface ListFilter {
  accountId: string;
  agentId?: string;
  fromNumber?: string;
  toNumber?: string;
  status?: string;
  cursor?: string;
  limit: number;
}

export interface QueuedOutbound {
  id: string;
  accountId: string;
  apiKeyId: string | null;
  agentId: string;
  source: string;
  from: string;
  to: string;
  body: string;
  segments: number;
  encoding: string;
  estimatedCost: unknown;
  inReplyTo: string | null;
  statusRank: number;
  at: Date;
}

/**
 * Every read and write of the SMS tables. Methods that take an EntityManager
 * run inside the caller's transaction.
 */
@Injectable()
export class SmsRepository {
  constructor(@InjectDataSource() readonly ds: DataSource) {}

  // --- idempotency -------------------------------------------------------

  /**
   * Serializes requests carrying the same key for the rest of the transaction;
   * false when another transaction holds it (a concurrent duplicate).
   */
  async tryLockIdempotencyKey(m: EntityManager, accountId: string, key: string): Promise<boolean> {
    const [row] = await m.query<{ locked: boolean }[]>(
      `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7001)) AS locked`,
      [`${accountId}:${key}`],
    );
    return row.locked;
  }

  findIdempotencyKey(m: EntityManager, accountId: string, key: string): Promise<SmsIdempotencyKey | null> {
    return m.findOneBy(SmsIdempotencyKey, { accountId, key });
  }

  async deleteIdempotencyKey(m: EntityManager, accountId: string, key: string): Promise<void> {
    await m.delete(SmsIdempotencyKey, { accountId, key });
  }

  async saveIdempotencyKey(m: EntityManager, row: Omit<SmsIdempotencyKey, 'createdAt'>): Promise<void> {
    await m.insert(SmsIdempotencyKey, row);
  }

  async purgeIdempotencyKeys(olderThanMs: number): Promise<void> {
    await this.ds.query(
      `DELETE FROM "messaging"."idempotency_keys" WHERE created_at < now() - make_interval(secs => $1::float8 / 1000)`,
      [olderThanMs],
    );
  }

  // --- messages ----------------------------------------------------------

  /**
   * Stores an accepted outbound message in ONE statement (atomic on its own,
   * so no BEGIN/COMMIT round trips): the message unless its recipient opted
   * out of this number, its first history row, and its outbox event. False
   * when the recipient opted out (nothing written).
   */
  async insertQueuedOutbound(
    q: DataSource | EntityManager,
    row: QueuedOutbound,
    outbox: { table: string; id: string; routing_key: string; payload: string },
  ): Promise<boolean> {
    const rows = await queryPrepared<{ id: string }>(
      q,
      'sms_insert_queued_outbound',
      `WITH opted_out AS (
         SELECT 1 FROM "messaging"."opt_outs" WHERE "our_number" = $7 AND "recipient" = $8
       ), msg AS (
         INSERT INTO "messaging"."messages" (
           "id", "account_id", "api_key_id", "agent_id", "direction", "source",
           "from_number", "to_number", "our_number", "other_party", "body", "segments", "encoding",
           "estimated_cost", "in_reply_to", "status", "status_rank", "status_changed_at",
           "soft_failure", "dispatch_state", "attempts", "next_attempt_at", "created_at", "updated_at")
         SELECT $1, $2, $3, $4, 'outbound', $5, $7, $8, $7, $8, $9, $10, $11,
                $12::jsonb, $13, 'queued', $14, $6, false, 'pending', 0, $6, $6, $6
         WHERE NOT EXISTS (SELECT 1 FROM opted_out)
         RETURNING "id"
       ), history AS (
         INSERT INTO "messaging"."message_status_history" ("message_id", "status", "source", "occurred_at")
         SELECT "id", 'queued', 'api', $6 FROM msg
       ), event AS (
         INSERT INTO ${outbox.table} ("id", "routing_key", "payload")
         SELECT $15, $16, $17::jsonb FROM msg
       )
       SELECT "id" FROM msg`,
      [
        row.id,
        row.accountId,
        row.apiKeyId,
        row.agentId,
        row.source,
        row.at,
        row.from,
        row.to,
        row.body,
        row.segments,
        row.encoding,
        row.estimatedCost === null ? null : JSON.stringify(row.estimatedCost),
        row.inReplyTo,
        row.statusRank,
        outbox.id,
        outbox.routing_key,
        outbox.payload,
      ],
    );
    return rows.length === 1;
  }

  /**
   * The dispatcher's claim in ONE statement: a due `pending`/`uncertain`
   * outbound message without a SID, or an `in_flight` one whose lease ran out
   * (its worker died), becomes `in_flight` with `attempts + 1` and a new lease.
   * Undefined when it is not claimable (another worker has it, or it is done).
   */
  async claimForDispatch(
    id: string,
    now: Date,
    lease: Date,
  ): Promise<{ msg: SmsMessage; previousState: DispatchState } | undefined> {
    const rows = await queryPrepared<Record<string, unknown>>(
      this.ds,
      'sms_claim_for_dispatch',
      `WITH prev AS (
         SELECT "id", "dispatch_state" FROM "messaging"."messages" WHERE "id" = $1 FOR UPDATE
       )
       UPDATE "messaging"."messages" m
          SET "attempts" = m."attempts" + 1, "dispatch_state" = 'in_flight',
              "lease_until" = $3, "next_attempt_at" = $3, "updated_at" = now()
         FROM prev
        WHERE m."id" = prev."id" AND m."direction" = 'outbound' AND m."twilio_sid" IS NULL
          AND ((m."dispatch_state" IN ('pending', 'uncertain') AND m."next_attempt_at" <= $2)
               OR (m."dispatch_state" = 'in_flight' AND m."lease_until" <= $2))
       RETURNING m.*, prev."dispatch_state" AS "previous_state"`,
      [id, now, lease],
    );
    const [row] = rows;
    if (!row) return undefined;
    return { msg: this.toMessage(row), previousState: row.previous_state as DispatchState };
  }

  /** A raw `messages` row (snake_case columns) as the entity. */
  private toMessage(row: Record<string, unknown>): SmsMessage {
    const msg = new SmsMessage();
    for (const col of this.ds.getMetadata(SmsMessage).columns) {
      (msg as unknown as Record<string, unknown>)[col.propertyName] = row[col.databaseName];
    }
    return msg;
  }

  lockMessage(m: EntityManager, id: string): Promise<SmsMessage | null> {
    return m
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .setLock('pessimistic_write')
      .where('m.id = :id', { id })
      .getOne();
  }

  lockMessageBySid(m: EntityManager, sid: string): Promise<SmsMessage | null> {
    return m
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .setLock('pessimistic_write')
      .where('m.twilio_sid = :sid', { sid })
      .getOne();
  }

  /**
   * A status change in ONE statement, in the caller's transaction: the
   * message's new status, its history row and its outbox event.
   */
  async applyStatus(
    m: EntityManager,
    change: {
      id: string;
      status: string;
      statusRank: number;
      at: Date;
      errorCode: string | null;
      errorMessage: string | null;
      errorFetchAfter: Date | null;
      historyErrorCode: string | null;
      source: string;
    },
    outbox: { table: string; id: string; routing_key: string; payload: string },
  ): Promise<void> {
    await m.query(
      `WITH msg AS (
         UPDATE "messaging"."messages"
            SET "status" = $2, "status_rank" = $3, "status_changed_at" = $4, "error_code" = $5,
                "error_message" = $6, "soft_failure" = false, "error_fetch_after" = $7, "updated_at" = now()
          WHERE "id" = $1
          RETURNING "id"
       ), history AS (
         INSERT INTO "messaging"."message_status_history" ("message_id", "status", "error_code", "source", "occurred_at")
         SELECT "id", $2, $8, $9, $4 FROM msg
       )
       INSERT INTO ${outbox.table} ("id", "routing_key", "payload") SELECT $10, $11, $12::jsonb FROM msg`,
      [
        change.id,
        change.status,
        change.statusRank,
        change.at,
        change.errorCode,
        change.errorMessage,
        change.errorFetchAfter,
        change.historyErrorCode,
        change.source,
        outbox.id,
        outbox.routing_key,
        outbox.payload,
      ],
    );
  }

  /**
   * A status callback for a SID that a message already owns, in ONE
   * statement and its own implicit transaction: lock the row, claim the
   * event, decide (unknown status, account mismatch, or whether the current
   * status is one that `change.allowedFrom` may replace), apply with history
   * and outbox event, record the callback with its outcome. The decision
   * reads the locked row, which is its latest committed version.
   *
   * `found` is false when no message owns the SID; nothing was written then.
   * `outcome` is null when the event was already claimed (a duplicate).
   */
  async applyCallbackToOwnedSid(
    eventId: string,
    handler: string,
    cb: { sid: string; rawStatus: string; errorCode: string | null; accountSid: string; at: Date },
    change: {
      status: string | null;
      statusRank: number | null;
      allowedFrom: string[];
      errorMessage: string | null;
      errorFetchAfter: Date | null;
    },
    outbox: { table: string; id: string; routing_key: string },
  ): Promise<{ found: boolean; outcome: string | null }> {
    const [row] = await queryPrepared<{ found: number; outcome: string | null }>(
      this.ds,
      'sms_apply_callback_to_owned_sid',
      `WITH prev AS (
         SELECT "id", "status", "twilio_account_sid" FROM "messaging"."messages"
          WHERE "twilio_sid" = $1 FOR UPDATE
       ), claimed AS (
         INSERT INTO "messaging"."inbox" ("message_id", "handler") SELECT $2, $3 FROM prev
         ON CONFLICT DO NOTHING RETURNING 1
       ), verdict AS (
         SELECT prev."id", prev."status" AS "previous_status",
                CASE WHEN $4::text IS NULL THEN 'unknown_status'
                     WHEN prev."twilio_account_sid" IS NOT NULL AND prev."twilio_account_sid" <> $5 THEN 'account_mismatch'
                     WHEN prev."status" = ANY($6::text[]) THEN 'applied'
                     ELSE 'ignored' END AS "outcome"
           FROM prev WHERE EXISTS (SELECT 1 FROM claimed)
       ), msg AS (
         UPDATE "messaging"."messages" m
            SET "status" = $4::text, "status_rank" = $7, "status_changed_at" = $8,
                "error_code" = COALESCE($9::text, m."error_code"),
                "error_message" = CASE WHEN $9::text IS NULL THEN m."error_message" ELSE $10 END,
                "soft_failure" = false,
                "error_fetch_after" = CASE WHEN $9::text IS NULL AND m."error_code" IS NULL THEN $11::timestamptz END,
                "updated_at" = now()
           FROM verdict v
          WHERE m."id" = v."id" AND v."outcome" = 'applied'
          RETURNING m."id", m."account_id", m."agent_id", m."twilio_sid", m."status", m."error_code", v."previous_status"
       ), history AS (
         INSERT INTO "messaging"."message_status_history" ("message_id", "status", "error_code", "source", "occurred_at")
         SELECT "id", $4::text, $9::text, 'twilio_callback', $8 FROM msg
       ), event AS (
         INSERT INTO ${outbox.table} ("id", "routing_key", "payload")
         SELECT $12, $13, jsonb_build_object(
                  'message_id', "id", 'account_id', "account_id", 'agent_id', "agent_id",
                  'twilio_sid', "twilio_sid", 'status', "status", 'previous_status', "previous_status",
                  'error_code', "error_code", 'soft_failure', false, 'at', $14::text)
           FROM msg
       ), callback AS (
         INSERT INTO "messaging"."status_callbacks" ("twilio_sid", "status", "error_code", "received_at", "applied_at", "outcome")
         SELECT $1, $15, $9::text, $8, now(), "outcome" FROM verdict
       )
       SELECT (SELECT count(*) FROM prev)::int AS "found", (SELECT "outcome" FROM verdict) AS "outcome"`,
      [
        cb.sid,
        eventId,
        handler,
        change.status,
        cb.accountSid,
        change.allowedFrom,
        change.statusRank,
        cb.at,
        cb.errorCode,
        change.errorMessage,
        change.errorFetchAfter,
        outbox.id,
        outbox.routing_key,
        cb.at.toISOString(),
        cb.rawStatus,
      ],
    );
    return { found: row.found > 0, outcome: row.outcome };
  }

  async updateMessage(m: EntityManager, id: string, patch: Partial<SmsMessage>): Promise<void> {
    await m.update(SmsMessage, { id }, { ...patch, updatedAt: new Date() });
  }

  /**
   * Orders everything done for one Twilio SID (storing it after a send, applying
   * its callbacks), so a callback that raced ahead of the stored SID is parked
   * and then applied, never lost.
   */
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
    const rows: unknown[] = await m.query(
      `WITH claimed AS (
         INSERT INTO "messaging"."inbox" ("message_id", "handler") VALUES ($1, $2)
         ON CONFLICT DO NOTHING RETURNING 1
       )
       SELECT pg_advisory_xact_lock(hashtextextended($3, 7002)) FROM claimed`,
      [eventId, handler, sid],
    );
    return rows.length > 0;
  }

  async lockSid(m: EntityManager, sid: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7002))`, [sid]);
  }

  /**
   * Locks message `id` and says which message owns `sid`, in one statement.
   * Call under the SID lock (`lockSid`, an earlier statement): any owner was
   * committed before this statement's snapshot, and none can appear after.
   */
  async lockMessageAndSidOwner(
    m: EntityManager,
    id: string,
    sid: string,
  ): Promise<{ row: SmsMessage | null; sidOwner: string | null }> {
    const rows = await queryPrepared<Record<string, unknown>>(
      m,
      'sms_lock_message_and_sid_owner',
      `SELECT m.*, (SELECT o."id" FROM "messaging"."messages" o WHERE o."twilio_sid" = $2) AS "sid_owner"
         FROM "messaging"."messages" m WHERE m."id" = $1 FOR UPDATE OF m`,
      [id, sid],
    );
    const [row] = rows;
    return row
      ? { row: this.toMessage(row), sidOwner: (row.sid_owner as string | null) ?? null }
      : { row: null, sidOwner: null };
  }

  /**
   * Stores the SID Twilio gave the message (its dispatch is done) and returns
   * the callbacks parked for that SID, in one statement. Call under the SID
   * lock, so no callback can be parked after this read.
   */
  async storeSidAndTakeParked(
    m: EntityManager,
    id: string,
    created: { sid: string; accountSid: string; at: Date },
  ): Promise<Pick<SmsStatusCallback, 'id' | 'status' | 'errorCode' | 'receivedAt'>[]> {
    const rows = await queryPrepared<{
      id: string;
      status: string;
      error_code: string | null;
      received_at: Date;
    }>(
      m,
      'sms_store_sid_take_parked',
      `WITH stored AS (
           UPDATE "messaging"."messages"
              SET "twilio_sid" = $2, "twilio_account_sid" = $3, "dispatch_state" = 'done', "dispatched_at" = $4,
                  "lease_until" = NULL, "next_attempt_at" = NULL, "last_attempt_error" = NULL, "updated_at" = now()
            WHERE "id" = $1
         )
         SELECT "id", "status", "error_code", "received_at" FROM "messaging"."status_callbacks"
          WHERE "twilio_sid" = $2 AND "applied_at" IS NULL ORDER BY "id"`,
      [id, created.sid, created.accountSid, created.at],
    );
    return rows.map((r) => ({
      id: r.id,
      status: r.status,
      errorCode: r.error_code,
      receivedAt: r.received_at,
    }));
  }

  /** SIDs among `sids` that some message already owns (reconciliation must not adopt them twice). */
  async ownedSids(sids: string[]): Promise<Set<string>> {
    if (sids.length === 0) return new Set();
    const rows = await this.ds.getRepository(SmsMessage).find({
      select: { twilioSid: true },
      where: { twilioSid: In(sids) },
    });
    return new Set(rows.map((r) => r.twilioSid as string));
  }

  // --- status callbacks --------------------------------------------------

  /** Records a callback: with its outcome when it was dealt with, or parked (no outcome) until its SID is stored. */
  async insertCallback(
    m: EntityManager,
    row: Omit<SmsStatusCallback, 'id' | 'appliedAt' | 'outcome'> & { outcome: string | null },
  ): Promise<void> {
    await m.query(
      `INSERT INTO "messaging"."status_callbacks" ("twilio_sid", "status", "error_code", "received_at", "applied_at", "outcome")
       VALUES ($1, $2, $3, $4, CASE WHEN $5::text IS NULL THEN NULL ELSE now() END, $5)`,
      [row.twilioSid, row.status, row.errorCode, row.receivedAt, row.outcome],
    );
  }

  async markCallback(m: EntityManager, id: string, outcome: string): Promise<void> {
    await m.update(SmsStatusCallback, { id }, { appliedAt: new Date(), outcome });
  }

  async purgeOrphanCallbacks(olderThanMs: number): Promise<void> {
    await this.ds.query(
      `DELETE FROM "messaging"."status_callbacks"
       WHERE applied_at IS NULL AND received_at < now() - make_interval(secs => $1::float8 / 1000)`,
      [olderThanMs],
    );
  }

  // --- sender ------------------------------------------------------------

  /** Messages whose next send attempt (or abandoned claim) is due. */
  async dueForDispatch(limit: number): Promise<string[]> {
    const rows = await this.ds
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .select('m.id', 'id')
      .where(`m.dispatch_state IN ('pending', 'in_flight', 'uncertain')`)
      .andWhere('m.next_attempt_at <= now()')
      .orderBy('m.next_attempt_at', 'ASC')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** `sent` for longer than the threshold: ids of the rows to flag, locked. */
  lockStuckInSent(m: EntityManager, afterMs: number, limit: number): Promise<SmsMessage[]> {
    return m
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .where(`m.status = 'sent' AND NOT m.soft_failure`)
      .andWhere('m.status_changed_at < now() - make_interval(secs => :s::float8 / 1000)', { s: afterMs })
      .limit(limit)
      .getMany();
  }

  /** Failure statuses still without their error code whose look-up at Twilio is due. */
  dueErrorFetches(limit: number): Promise<SmsMessage[]> {
    return this.ds
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .where('m.error_fetch_after IS NOT NULL AND m.error_fetch_after <= now()')
      .orderBy('m.error_fetch_after', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** The latest history row of `status` for a message gets the code that was missing. */
  async setHistoryErrorCode(
    m: EntityManager,
    messageId: string,
    status: string,
    code: string,
  ): Promise<void> {
    await m.query(
      `UPDATE "messaging"."message_status_history" SET error_code = $3
       WHERE id = (SELECT max(id) FROM "messaging"."message_status_history" WHERE message_id = $1 AND status = $2)
         AND error_code IS NULL`,
      [messageId, status, code],
    );
  }

  // --- reads -------------------------------------------------------------

  findForAccount(accountId: string, idOrSid: string): Promise<SmsMessage | null> {
    const repo = this.ds.getRepository(SmsMessage);
    return SID.test(idOrSid)
      ? repo.findOneBy({ accountId, twilioSid: idOrSid })
      : repo.findOneBy({ accountId, id: idOrSid });
  }

  history(messageId: string): Promise<SmsStatusHistory[]> {
    return this.ds.getRepository(SmsStatusHistory).find({ where: { messageId }, order: { id: 'ASC' } });
  }

  /** The conversation (our number, other party) from `from` on, oldest first. */
  conversationSince(from: SmsMessage, limit: number): Promise<SmsMessage[]> {
    return this.ds
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .where('m.account_id = :a AND m.our_number = :n AND m.other_party = :o', {
        a: from.accountId,
        n: from.ourNumber,
        o: from.otherParty,
      })
      .andWhere('(m.created_at, m.id) >= (:at, :id)', { at: from.createdAt, id: from.id })
      .orderBy('m.created_at', 'ASC')
      .addOrderBy('m.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  list(f: ListFilter): Promise<SmsMessage[]> {
    const qb = this.ds
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .where('m.account_id = :account', { account: f.accountId })
      .orderBy('m.created_at', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .limit(f.limit + 1);
    if (f.agentId !== undefined) qb.andWhere('m.agent_id = :agent', { agent: f.agentId });
    if (f.fromNumber !== undefined) qb.andWhere('m.from_number = :from', { from: f.fromNumber });
    if (f.toNumber !== undefined) qb.andWhere('m.to_number = :to', { to: f.toNumber });
    if (f.status !== undefined) qb.andWhere('m.status = :status', { status: f.status });
    if (f.cursor) {
      const c = decodeCursor(f.cursor);
      qb.andWhere('(m.created_at, m.id) < (:at, :id)', { at: c.createdAt, id: c.id });
    }
    return qb.getMany();
  }
}

export type { DispatchState };
