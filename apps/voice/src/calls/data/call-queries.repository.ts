import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { CallDirection, CallStatus, Page } from '@nixflex/common';
import { TransactionalRepository } from '@nixflex/common/db';
import { keysetPage } from '@nixflex/common/db/keyset';
import { DataSource } from 'typeorm';
import { Call, CallStatusChange } from './call.entities';

/** Twilio's CallSid: `CA` + 32 hex. */
const CALL_SID = /^CA[0-9a-fA-F]{32}$/;

export interface CallListFilter {
  accountId: string;
  agentId?: string;
  ourNumber?: string;
  direction?: CallDirection;
  status?: CallStatus;
  cursor?: string;
  limit?: number;
}

/** The API's reads of calls, always scoped by account. */
@Injectable()
export class CallQueriesRepository extends TransactionalRepository {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds);
  }

  /** By our id or by Twilio's CallSid; null for another account's call, as for none. */
  findForAccount(accountId: string, idOrSid: string): Promise<Call | null> {
    const repo = this.ds.getRepository(Call);
    return CALL_SID.test(idOrSid)
      ? repo.findOneBy({ accountId, twilioSid: idOrSid })
      : repo.findOneBy({ accountId, id: idOrSid });
  }

  /** The call's status changes, oldest first. */
  history(callId: string): Promise<CallStatusChange[]> {
    return this.ds.getRepository(CallStatusChange).find({ where: { callId }, order: { id: 'ASC' } });
  }

  /** An account's calls, newest first, one keyset page (index `calls_account_created_idx`). */
  list(f: CallListFilter): Promise<Page<Call>> {
    const qb = this.ds
      .getRepository(Call)
      .createQueryBuilder('c')
      .where('c.account_id = :account', { account: f.accountId });
    if (f.agentId !== undefined) qb.andWhere('c.agent_id = :agent', { agent: f.agentId });
    if (f.ourNumber !== undefined) qb.andWhere('c.our_number = :ours', { ours: f.ourNumber });
    if (f.direction !== undefined) qb.andWhere('c.direction = :direction', { direction: f.direction });
    if (f.status !== undefined) qb.andWhere('c.status = :status', { status: f.status });
    return keysetPage(qb, 'c', f);
  }
}
