import type { DataSource, EntityManager } from 'typeorm';

/**
 * What every repository shares: its DataSource stays inside, and callers
 * that need several statements atomic get an EntityManager only through
 * `transaction`, to hand back to repository methods.
 */
export abstract class TransactionalRepository {
  protected constructor(protected readonly ds: DataSource) {}

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(work);
  }
}
