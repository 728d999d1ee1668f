import { createDataSource } from '@nixflex/common';
import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { adminQuery, databaseUrl, templateDatabase } from '../harness/infra';

/**
 * Postgres ends a session (a restart's 57P01, an admin's pg_terminate_backend)
 * while a pooled client is checked out and idle: the moment pg-pool and
 * TypeORM do not listen for errors. Found by the Postgres-restart drill, where
 * the resulting unhandled 'error' event killed the messaging service.
 */
describe("Postgres ends a checked-out client's session", () => {
  let ds: DataSource;

  beforeAll(async () => {
    ds = createDataSource({
      service: 'messaging',
      databaseUrl: databaseUrl(templateDatabase()),
      poolSize: 2,
    });
    await ds.initialize();
  });
  afterAll(() => ds?.destroy());

  it('the process survives, the holder sees the failure, the pool serves new queries', async () => {
    const pool = (ds.driver as PostgresDriver).master as Pool;
    const client: PoolClient = await pool.connect();
    const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows;
    const ended = new Promise((resolve) => client.once('end', resolve));
    await adminQuery('SELECT pg_terminate_backend($1)', [pid]);
    await ended;
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release(true);
    const [{ one }] = await ds.query('SELECT 1 AS one');
    expect(one).toBe(1);
  });
});
