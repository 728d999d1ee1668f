import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TransactionalRepository } from '@nixflex/common/db';
import { AppError, Page } from '@nixflex/common';
import { KeysetRequest, keysetPage } from '@nixflex/common/db/keyset';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { Agent } from '../agents/agent.entity';
import { PhoneNumber } from './phone-number.entity';

/** A pending claim older than this belongs to an import that died mid-way. */
const STALE_CLAIM_SECONDS = 120;

function pgCode(err: unknown): string | undefined {
  return err instanceof QueryFailedError ? (err.driverError as { code?: string })?.code : undefined;
}

/** All SQL of the phone-numbers aggregate. Only 'active' rows are visible outside the import. */
@Injectable()
export class PhoneNumbersRepository extends TransactionalRepository {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds);
  }

  /** The account owning an agent, or undefined when no such agent exists. */
  async agentAccount(agentId: string): Promise<string | undefined> {
    const a = await this.ds.manager.findOne(Agent, {
      where: { id: agentId },
      select: { id: true, accountId: true },
    });
    return a?.accountId;
  }

  async agentOf(agentId: string): Promise<Agent | null> {
    return this.ds.manager.findOneBy(Agent, { id: agentId });
  }

  /**
   * Takes the number for this import: inserts the row as 'pending', committed
   * at once, so a concurrent import of the same number fails here on the
   * unique constraint, before it touches Twilio.
   */
  async claim(row: Omit<PhoneNumber, 'createdAt' | 'updatedAt' | 'status'>): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m
        .createQueryBuilder()
        .delete()
        .from(PhoneNumber)
        .where(
          `phone_number = :phone AND status = 'pending' AND updated_at < now() - make_interval(secs => :secs)`,
          {
            phone: row.phoneNumber,
            secs: STALE_CLAIM_SECONDS,
          },
        )
        .execute();
      try {
        await m.insert(PhoneNumber, { ...row, status: 'pending' });
      } catch (err) {
        if (pgCode(err) === '23505') {
          throw new AppError('number_already_imported', `${row.phoneNumber} is already imported`);
        }
        // The agent was deleted between the ownership check and now.
        if (pgCode(err) === '23503') throw new AppError('agent_not_found', `No agent ${row.agentId}`);
        throw err;
      }
    });
  }

  /** Makes a claimed row visible. False when the claim is gone (taken over as stale). */
  async activate(m: EntityManager, id: string): Promise<PhoneNumber | null> {
    const res = await m
      .createQueryBuilder()
      .update(PhoneNumber)
      .set({ status: 'active', updatedAt: () => 'now()' })
      .where(`id = :id AND status = 'pending'`, { id })
      .execute();
    if (!res.affected) return null;
    return m.findOneByOrFail(PhoneNumber, { id });
  }

  async releaseClaim(id: string): Promise<void> {
    await this.ds.manager.delete(PhoneNumber, { id, status: 'pending' });
  }

  /** An imported number; another account's number is reported like a missing one. */
  async findActive(
    phoneNumber: string,
    accountId?: string,
    m: EntityManager = this.ds.manager,
    lock = false,
  ) {
    const qb = m
      .getRepository(PhoneNumber)
      .createQueryBuilder('n')
      .where(`n.phone_number = :phoneNumber AND n.status = 'active'`, { phoneNumber });
    if (accountId !== undefined) qb.andWhere('n.account_id = :accountId', { accountId });
    if (lock) qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  /** Newest first, keyset over (created_at, id): an index range scan however deep the page. */
  page(accountId: string, agentId: string | undefined, req: KeysetRequest): Promise<Page<PhoneNumber>> {
    const qb = this.ds
      .getRepository(PhoneNumber)
      .createQueryBuilder('n')
      .where(`n.account_id = :accountId AND n.status = 'active'`, { accountId });
    if (agentId !== undefined) qb.andWhere('n.agent_id = :agentId', { agentId });
    return keysetPage(qb, 'n', req);
  }

  save(m: EntityManager, n: PhoneNumber): Promise<PhoneNumber> {
    return m.save(n);
  }

  async remove(m: EntityManager, id: string): Promise<boolean> {
    const res = await m.delete(PhoneNumber, { id });
    return (res.affected ?? 0) > 0;
  }
}
