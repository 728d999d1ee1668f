import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TransactionalRepository } from '@nixflex/common/db';
import { DataSource, EntityManager, In } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { Call, CallStatusChange, DialState } from './call.entities';

/** An accepted outbound call, as `POST /v1/calls` stores it. */
export interface NewOutboundCall {
  id: string;
  accountId: string;
  apiKeyId: string | null;
  agentId: string;
  from: string;
  to: string;
  prompt: string | null;
  firstMessage: string | null;
  metadata: Record<string, unknown> | null;
  statusRank: number;
  at: Date;
}

/** A won claim: the call (already `in_flight`, attempts counted) and the state it was claimed from. */
export interface DialClaim {
  call: Call;
  previousState: DialState;
}

/**
 * The dialler's statements on `calls`: store an accepted outbound call, claim
 * it for one attempt, find what came due, and which CallSids are taken. The
 * status itself moves only through CallLifecycle.
 */
@Injectable()
export class OutboundCallsRepository extends TransactionalRepository {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds);
  }

  /** The call (`queued`, dial `pending`, due now) and its first history row, in `m`'s transaction. */
  async insertQueued(m: EntityManager, row: NewOutboundCall): Promise<void> {
    await m.insert(Call, {
      id: row.id,
      accountId: row.accountId,
      apiKeyId: row.apiKeyId,
      agentId: row.agentId,
      direction: 'outbound',
      ourNumber: row.from,
      otherParty: row.to,
      fromNumber: row.from,
      toNumber: row.to,
      twilioSid: null,
      twilioAccountSid: null,
      status: 'queued',
      statusRank: row.statusRank,
      statusChangedAt: row.at,
      prompt: row.prompt,
      firstMessage: row.firstMessage,
      // TypeORM's partial type cannot follow `unknown` values: the customer's JSON object, stored as jsonb.
      metadata: row.metadata as QueryDeepPartialEntity<Call>['metadata'],
      dispatchState: 'pending',
      attempts: 0,
      nextAttemptAt: row.at,
      createdAt: row.at,
      updatedAt: row.at,
    });
    await m.insert(CallStatusChange, { callId: row.id, status: 'queued', at: row.at, source: 'api' });
  }

  /**
   * One attempt's claim, committed before Twilio is called: a due
   * `pending`/`uncertain` outbound call without a CallSid, or an `in_flight`
   * one whose lease ran out (its worker died), becomes `in_flight` with
   * `attempts + 1` and a new lease (also its next due time, so the poller
   * finds it if this worker dies too). The row lock makes one worker win.
   */
  claim(id: string, now: Date, lease: Date): Promise<DialClaim | undefined> {
    return this.transaction(async (m) => {
      const call = await m.findOne(Call, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!call || call.direction !== 'outbound') return undefined;
      const state = call.dispatchState;
      if (call.twilioSid !== null) {
        // The answer webhook stored the CallSid before the dialler did: dialling is over.
        if (state === 'pending' || state === 'uncertain' || state === 'in_flight') {
          await m.update(Call, { id }, { dispatchState: 'done', leaseUntil: null, nextAttemptAt: null });
        }
        return undefined;
      }
      const due =
        ((state === 'pending' || state === 'uncertain') &&
          call.nextAttemptAt !== null &&
          call.nextAttemptAt <= now) ||
        (state === 'in_flight' && call.leaseUntil !== null && call.leaseUntil <= now);
      if (!due || state === null) return undefined;
      const claimed: Pick<Call, 'dispatchState' | 'attempts' | 'leaseUntil' | 'nextAttemptAt' | 'updatedAt'> =
        {
          dispatchState: 'in_flight',
          attempts: call.attempts + 1,
          leaseUntil: lease,
          nextAttemptAt: lease,
          updatedAt: now,
        };
      await m.update(Call, { id }, claimed);
      return { call: Object.assign(call, claimed), previousState: state };
    });
  }

  /** Outbound calls whose next attempt (or abandoned claim) is due, oldest due first. */
  async dueForDial(limit: number): Promise<string[]> {
    const rows = await this.ds
      .getRepository(Call)
      .createQueryBuilder('c')
      .select('c.id', 'id')
      .where(`c.dispatch_state IN ('pending', 'in_flight', 'uncertain')`)
      .andWhere('c.next_attempt_at <= now()')
      .orderBy('c.next_attempt_at', 'ASC')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** The call, locked, and the id of the call owning `sid` (if any), in `m`'s transaction. */
  async lockWithSidOwner(
    m: EntityManager,
    id: string,
    sid: string,
  ): Promise<{ call: Call | null; sidOwner: string | null }> {
    // Serializes every writer of this SID (dialler and answer webhook) for the transaction.
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7003))`, [sid]);
    const call = await m.findOne(Call, { where: { id }, lock: { mode: 'pessimistic_write' } });
    const owner = await m.findOne(Call, { select: { id: true }, where: { twilioSid: sid } });
    return { call, sidOwner: owner?.id ?? null };
  }

  /** The call, locked for the rest of `m`'s transaction. */
  lock(m: EntityManager, id: string): Promise<Call | null> {
    return m.findOne(Call, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** CallSids among `sids` that some call already owns (a reconciliation must not adopt them twice). */
  async ownedSids(sids: string[]): Promise<Set<string>> {
    if (sids.length === 0) return new Set();
    const rows = await this.ds.getRepository(Call).find({
      select: { twilioSid: true },
      where: { twilioSid: In(sids) },
    });
    return new Set(rows.map((r) => r.twilioSid as string));
  }

  /** Writes the dialler's columns of a call (and `updated_at`). */
  async update(m: EntityManager, id: string, columns: Partial<Omit<Call, 'id' | 'metadata'>>): Promise<void> {
    await m.update(Call, { id }, { ...columns, updatedAt: () => 'now()' });
  }
}
