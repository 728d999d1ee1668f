import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { DataSource, EntityManager, QueryRunnerAlreadyReleasedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * Runs `text` as a named prepared statement: in the transaction of `on` when
 * it is a transaction's EntityManager, otherwise on a pooled connection.
 * Postgres parses and plans a named statement once per connection instead of
 * on every call; on the hot SMS paths planning alone was about a third of
 * Postgres's CPU (docs/benchmarks.md). Each name must always carry the same
 * text. Errors are pg's own (codes intact), as `isTransientInfrastructureError`
 * expects.
 */
export async function queryPrepared<T extends QueryResultRow>(
  on: DataSource | EntityManager,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const config = { name, text, values };
  const runner = on instanceof EntityManager ? on.queryRunner : undefined;
  if (runner) {
    // Never fall back to the pool here: that would run outside the caller's transaction.
    if (runner.isReleased) throw new QueryRunnerAlreadyReleasedError();
    const client = (await runner.connect()) as PoolClient;
    return (await client.query<T>(config)).rows;
  }
  const ds = on instanceof EntityManager ? on.connection : on;
  const pool = (ds.driver as PostgresDriver).master as Pool;
  return (await pool.query<T>(config)).rows;
}
