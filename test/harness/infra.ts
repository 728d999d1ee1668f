/**
 * Test infrastructure shared by global setup and stacks: which Postgres and
 * RabbitMQ to use, and the per-run database names (always containing "test").
 */
import * as amqp from 'amqplib';
import * as path from 'node:path';
import { Client } from 'pg';

/** The repository root, whether this file runs from test/ (jest) or dist/test/ (benchmarks). */
export const ROOT = path.resolve(
  __dirname,
  path.basename(path.resolve(__dirname, '../..')) === 'dist' ? '../../..' : '../..',
);

export function baseDatabaseUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres:postgres@localhost:5432/nixflex';
}

export function rabbitmqUrl(): string {
  return process.env.RABBITMQ_URL ?? 'amqp://guest:guest@localhost:5672';
}

export function databaseUrl(name: string): string {
  if (!/test/.test(name)) {
    throw new Error(`refusing to use database "${name}": test databases must have "test" in their name`);
  }
  const u = new URL(baseDatabaseUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery(sql: string, params: unknown[] = []): Promise<any[]> {
  const u = new URL(baseDatabaseUrl());
  u.pathname = '/postgres';
  const c = new Client({ connectionString: u.toString() });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

const HOW_TO_START = {
  postgres: 'start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  rabbitmq: 'start it with: rabbitmq-server -detached',
};

/** Fails at once, saying how to start whichever service is not reachable. */
export async function assertInfrastructure(): Promise<void> {
  const problems: string[] = [];
  try {
    await adminQuery('SELECT 1');
  } catch (err) {
    problems.push(
      `Postgres at ${redact(baseDatabaseUrl())} is unreachable (${(err as Error).message}); ${HOW_TO_START.postgres}`,
    );
  }
  try {
    const conn = await amqp.connect(rabbitmqUrl());
    await conn.close();
  } catch (err) {
    problems.push(
      `RabbitMQ at ${redact(rabbitmqUrl())} is unreachable (${(err as Error).message}); ${HOW_TO_START.rabbitmq}`,
    );
  }
  if (problems.length) throw new Error(`Test infrastructure missing:\n  - ${problems.join('\n  - ')}`);
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

export function runId(): string {
  const id = process.env.NIXFLEX_TEST_RUN;
  if (!id) throw new Error('NIXFLEX_TEST_RUN is not set: run tests through jest (global setup sets it)');
  return id;
}

export function templateDatabase(): string {
  return `nixflex_test_${runId()}_tpl`;
}
