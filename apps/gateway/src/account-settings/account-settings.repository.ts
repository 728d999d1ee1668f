import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { AccountSettings } from './account-settings.entity';

/** Every statement on `gateway.account_settings`. */
@Injectable()
export class AccountSettingsRepository {
  constructor(@InjectRepository(AccountSettings) private readonly repo: Repository<AccountSettings>) {}

  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.repo.manager.transaction(fn);
  }

  find(accountId: string): Promise<AccountSettings | null> {
    return this.repo.findOneBy({ accountId });
  }

  /** The row locked for this transaction, so two changes of one account apply one after the other. */
  findForUpdate(m: EntityManager, accountId: string): Promise<AccountSettings | null> {
    return m.findOne(AccountSettings, { where: { accountId }, lock: { mode: 'pessimistic_write' } });
  }

  /** Locks the account row: serialises the first change of an account that has no settings row yet. */
  async lockAccount(m: EntityManager, accountId: string): Promise<boolean> {
    const rows: unknown[] = await m.query(`SELECT 1 FROM "gateway"."accounts" WHERE "id" = $1 FOR UPDATE`, [
      accountId,
    ]);
    return rows.length > 0;
  }

  save(m: EntityManager, settings: AccountSettings): Promise<AccountSettings> {
    return m.save(AccountSettings, settings);
  }
}
