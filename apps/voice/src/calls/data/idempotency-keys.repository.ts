import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TransactionalRepository } from '@nixflex/common/db';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { CallIdempotencyKey } from './call.entities';

/** Every statement on `voice.idempotency_keys` (Stripe-style Idempotency-Key of `POST /v1/calls`). */
@Injectable()
export class CallIdempotencyKeysRepository extends TransactionalRepository {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds);
  }

  /**
   * Serializes requests carrying the same key for the rest of the transaction;
   * false when another transaction holds it (a concurrent duplicate). The
   * namespace differs from the SMS one so a key shared by both never blocks.
   */
  async tryLock(m: EntityManager, accountId: string, key: string): Promise<boolean> {
    const [row] = await m.query<{ locked: boolean }[]>(
      `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7002)) AS locked`,
      [`${accountId}:${key}`],
    );
    return row.locked;
  }

  find(m: EntityManager, accountId: string, key: string): Promise<CallIdempotencyKey | null> {
    return m.findOneBy(CallIdempotencyKey, { accountId, key });
  }

  async delete(m: EntityManager, accountId: string, key: string): Promise<void> {
    await m.delete(CallIdempotencyKey, { accountId, key });
  }

  async save(m: EntityManager, row: Omit<CallIdempotencyKey, 'createdAt'>): Promise<void> {
    await m.insert(CallIdempotencyKey, {
      ...row,
      response: row.response as QueryDeepPartialEntity<CallIdempotencyKey>['response'],
      createdAt: new Date(),
    });
  }

  async purgeOlderThan(olderThanMs: number): Promise<void> {
    await this.ds
      .createQueryBuilder()
      .delete()
      .from(CallIdempotencyKey)
      .where('created_at < now() - make_interval(secs => :ms::float8 / 1000)', { ms: olderThanMs })
      .execute();
  }
}
