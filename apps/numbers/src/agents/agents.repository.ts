import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TransactionalRepository } from '@nixflex/common/db';
import { Page } from '@nixflex/common';
import { KeysetRequest, keysetPage } from '@nixflex/common/db/keyset';
import { DataSource, EntityManager } from 'typeorm';
import { Agent } from './agent.entity';

/**
 * All SQL of the agents aggregate. Writes take the caller's transaction
 * (from `transaction`), so the agent and the event announcing it commit together.
 */
@Injectable()
export class AgentsRepository extends TransactionalRepository {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds);
  }

  save(m: EntityManager, agent: Partial<Agent>): Promise<Agent> {
    return m.save(m.create(Agent, agent));
  }

  /** The account's agent, or null (another account's agent is not found either). */
  find(accountId: string, agentId: string, m: EntityManager = this.ds.manager): Promise<Agent | null> {
    return m.findOneBy(Agent, { id: agentId, accountId });
  }

  /** The same, locked until the transaction ends (a delete checks its numbers under the lock). */
  findForUpdate(m: EntityManager, accountId: string, agentId: string): Promise<Agent | null> {
    return m
      .getRepository(Agent)
      .createQueryBuilder('a')
      .setLock('pessimistic_write')
      .where('a.id = :id AND a.account_id = :account', { id: agentId, account: accountId })
      .getOne();
  }

  async remove(m: EntityManager, agentId: string): Promise<void> {
    await m.delete(Agent, { id: agentId });
  }

  /** The account's agents, newest first. */
  list(accountId: string, page: KeysetRequest): Promise<Page<Agent>> {
    const qb = this.ds
      .getRepository(Agent)
      .createQueryBuilder('a')
      .where('a.account_id = :account', { account: accountId });
    return keysetPage(qb, 'a', page);
  }
}
