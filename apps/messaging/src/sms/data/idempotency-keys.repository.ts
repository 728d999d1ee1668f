import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SmsIdempotencyKey } from './sms.entities';
import { TransactionalRepository } from '@nixflex/common/db';

/** Every statement on `idempotency_keys` (Stripe-style Idempotency-Key of `POST /v1/sms`). */
@Injectable()
export class IdempotencyKeysRepository extends TransactionalRepository {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds);
  }

  /**
   * Serializes requests carrying the same key for the rest of the transaction;
   * false when another transaction holds it (a concurrent duplicate).
   */
  async tryLock(m: EntityManager, accountId: string, key: string): Promise<boolean> {
    const [row] = await m.query<{ locked: boolean }[]>(
      `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7001)) AS locked`,
      [`${accountId}:${key}`],
    );
    return row.locked;
  }

  find(m: EntityManager, accountId: string, key: string): Promise<SmsIdempotencyKey | null> {
    return m.findOneBy(SmsIdempotencyKey, { accountId, key });
  }

  async delete(m: EntityManager, accountId: string, key: string): Promise<void> {
    await m.delete(SmsIdempotencyKey, { accountId, key });
  }

  async save(m: EntityManager, row: Omit<SmsIdempotencyKey, 'createdAt'>): Promise<void> {
    await m.insert(SmsIdempotencyKey, row);
  }

  async purgeOlderThan(olderThanMs: number): Promise<void> {
    await this.ds
      .createQueryBuilder()
      .delete()
      .from(SmsIdempotencyKey)
      .where('created_at < now() - make_interval(secs => :ms::float8 / 1000)', { ms: olderThanMs })
      .execute();
  }
}
