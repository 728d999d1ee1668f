import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { CallStatus, CallStatusSource } from '@nixflex/common';
import { TransactionalRepository } from '@nixflex/common/db';
import { DataSource, EntityManager } from 'typeorm';
import { Call, CallStatusChange, CallTurn } from './call.entities';

/** A new inbound call, as the answer to Twilio's voice webhook stores it. */
export type NewInboundCall = Pick<
  Call,
  | 'id'
  | 'accountId'
  | 'agentId'
  | 'ourNumber'
  | 'otherParty'
  | 'twilioSid'
  | 'twilioAccountSid'
  | 'voice'
  | 'status'
  | 'statusRank'
> & { at: Date };

/** The columns a call may change after it is stored (never its id, never the customer's metadata). */
export type CallChanges = Partial<Omit<Call, 'id' | 'metadata'>>;

/** One completed utterance to append to a call's transcript. */
export interface NewTurn {
  callId: string;
  role: 'caller' | 'agent';
  text: string;
  interrupted: boolean;
  at: Date;
}

/**
 * The statements every part of voice runs on a call: find and lock it, store
 * an inbound call once per CallSid, move its columns, keep its status history
 * and its transcript. Outbound acceptance and dialling, and the API's reads,
 * have their own repositories over the same tables.
 */
@Injectable()
export class CallsRepository extends TransactionalRepository {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds);
  }

  /**
   * Stores an inbound call unless its CallSid is already stored (Twilio
   * retries its webhook): the insert is the atomic claim of the SID. The
   * stored call either way, and whether this insert created it.
   */
  async insertInbound(row: NewInboundCall): Promise<{ call: Call; created: boolean }> {
    return this.transaction(async (m) => {
      const { at, ...columns } = row;
      const result = await m
        .createQueryBuilder()
        .insert()
        .into(Call)
        .values({
          ...columns,
          direction: 'inbound',
          fromNumber: row.otherParty,
          toNumber: row.ourNumber,
          statusChangedAt: at,
          attempts: 0,
          createdAt: at,
          updatedAt: at,
        })
        .orIgnore()
        .returning(['id'])
        .updateEntity(false)
        .execute();
      const created = (result.raw as unknown[]).length > 0;
      if (created) await this.addHistory(m, row.id, row.status, at, 'twilio_callback');
      const call = await m.findOneOrFail(Call, { where: { twilioSid: row.twilioSid! } });
      return { call, created };
    });
  }

  findById(id: string, m?: EntityManager): Promise<Call | null> {
    return (m ?? this.ds.manager).findOne(Call, { where: { id } });
  }

  findBySid(sid: string, m?: EntityManager): Promise<Call | null> {
    return (m ?? this.ds.manager).findOne(Call, { where: { twilioSid: sid } });
  }

  /** The call, locked for the rest of `m`'s transaction. */
  lock(m: EntityManager, id: string): Promise<Call | null> {
    return m.findOne(Call, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  lockBySid(m: EntityManager, sid: string): Promise<Call | null> {
    return m.findOne(Call, { where: { twilioSid: sid }, lock: { mode: 'pessimistic_write' } });
  }

  /** Writes the given columns of a call (and `updated_at`). */
  async update(m: EntityManager, id: string, columns: CallChanges): Promise<void> {
    await m.update(Call, { id }, { ...columns, updatedAt: () => 'now()' });
  }

  async addHistory(
    m: EntityManager,
    callId: string,
    status: CallStatus,
    at: Date,
    source: CallStatusSource,
  ): Promise<void> {
    await m.insert(CallStatusChange, { callId, status, at, source });
  }

  /**
   * Appends one utterance to the call's transcript (the next `seq`). One
   * session writes a call's turns, one at a time, so the next number is
   * simply one more than the last.
   */
  async appendTurn(turn: NewTurn, m: EntityManager = this.ds.manager): Promise<number> {
    const rows: { seq: number }[] = await m.query(
      `INSERT INTO "voice"."call_turns" ("call_id", "seq", "role", "text", "interrupted", "at")
       SELECT $1, COALESCE(MAX("seq"), 0) + 1, $2, $3, $4, $5 FROM "voice"."call_turns" WHERE "call_id" = $1
       RETURNING "seq"`,
      [turn.callId, turn.role, turn.text, turn.interrupted, turn.at],
    );
    return rows[0].seq;
  }

  /**
   * The caller interrupted an agent turn that was already stored (Twilio was
   * still speaking it): it becomes what the caller heard, marked interrupted.
   */
  async reviseLastAgentTurn(callId: string, heard: string): Promise<void> {
    await this.ds.query(
      `UPDATE "voice"."call_turns" SET "text" = $2, "interrupted" = true
       WHERE "call_id" = $1 AND "seq" = (SELECT MAX("seq") FROM "voice"."call_turns" WHERE "call_id" = $1 AND "role" = 'agent')`,
      [callId, heard],
    );
  }

  /**
   * Calls with no final status whose status and row have not moved for
   * `graceMs` (the sweeper's work), oldest status first.
   */
  dueForSweep(graceMs: number, limit: number): Promise<Call[]> {
    const before = new Date(Date.now() - graceMs);
    return this.ds.manager
      .createQueryBuilder(Call, 'c')
      .where('c.endedAt IS NULL')
      .andWhere('c.statusChangedAt < :before', { before })
      .andWhere('c.updatedAt < :before', { before })
      .orderBy('c.statusChangedAt', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** The transcript, oldest first. */
  turns(callId: string, m?: EntityManager): Promise<CallTurn[]> {
    return (m ?? this.ds.manager).find(CallTurn, { where: { callId }, order: { seq: 'ASC' } });
  }
}
