import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TransactionalRepository } from '@nixflex/common/db';
import { DataSource, EntityManager } from 'typeorm';
import { WebhookSecret } from '../entities';

@Injectable()
export class SecretsRepository extends TransactionalRepository {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds);
  }

  /** Inserts unless the account already has a secret (two first reads at once keep one). */
  async insertIfAbsent(accountId: string, secretSealed: string, m: EntityManager = this.ds.manager) {
    await m
      .createQueryBuilder()
      .insert()
      .into(WebhookSecret)
      .values({
        accountId,
        secretSealed,
        previousSecretSealed: null,
        previousExpiresAt: null,
        createdAt: () => 'now()',
      })
      .orIgnore()
      .execute();
  }

  find(accountId: string, m: EntityManager = this.ds.manager): Promise<WebhookSecret | null> {
    return m.findOneBy(WebhookSecret, { accountId });
  }

  findForUpdate(accountId: string, m: EntityManager): Promise<WebhookSecret | null> {
    return m
      .getRepository(WebhookSecret)
      .createQueryBuilder('s')
      .setLock('pessimistic_write')
      .where('s.account_id = :accountId', { accountId })
      .getOne();
  }

  save(secret: WebhookSecret, m: EntityManager): Promise<WebhookSecret> {
    return m.save(secret);
  }
}
