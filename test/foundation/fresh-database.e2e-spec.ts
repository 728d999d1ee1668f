/**
 * Start from nothing: `npm run migrate` and `npm start` create the database
 * named in DATABASE_URL when it does not exist, migrate it, and (npm start)
 * bring every service up healthy on it. Every database here is new, has
 * "test" in its name, and is dropped afterwards.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { adminQuery, databaseUrl, rabbitmqUrl, ROOT, runId } from '../harness/infra';
import { lines, runNode } from '../harness/run';
import { deleteBrokerNamespace, freePort, waitFor } from '../harness/stack';

const MIGRATE = 'dist/libs/common/src/db/migrate.cli.js';
const SCHEMAS = ['gateway', 'numbers', 'messaging', 'webhooks', 'voice'];

function freshName(what: string): string {
  return `nixflex_test_${runId()}_${what}_${randomBytes(4).toString('hex')}`;
}

async function exists(db: string): Promise<boolean> {
  return (await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [db])).length === 1;
}

/** Applied migrations per schema of a database. */
async function migrations(db: string): Promise<Record<string, number>> {
  const { Client } = await import('pg');
  const c = new Client({ connectionString: databaseUrl(db) });
  await c.connect();
  try {
    const out: Record<string, number> = {};
    for (const s of SCHEMAS) {
      out[s] = Number((await c.query(`SELECT count(*) AS n FROM "${s}".migrations`)).rows[0].n);
    }
    return out;
  } finally {
    await c.end();
  }
}

function env(db: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl(db),
    RABBITMQ_URL: rabbitmqUrl(),
    ...extra,
  };
}

const drop = (db: string) => adminQuery(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);

describe('npm run migrate on a database that does not exist', () => {
  it('creates it (saying so in one line), migrates every schema, and is a no-op the second time', async () => {
    const db = freshName('migrate');
    expect(await exists(db)).toBe(false);
    try {
      const first = await runNode([MIGRATE], env(db));
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(lines(first.stdout)[0]).toBe(`created database "${db}" (it did not exist)`);
      const applied = await migrations(db);
      for (const s of SCHEMAS) expect(applied[s]).toBeGreaterThan(0);

      const second = await runNode([MIGRATE], env(db));
      expect(second.code).toBe(0);
      expect(second.stdout).not.toContain('created database');
      expect(lines(second.stdout)).toEqual(SCHEMAS.map((s) => `${s}: up to date`));
      expect(await migrations(db)).toEqual(applied);
    } finally {
      await drop(db);
    }
  });

  it('four at once: all succeed, exactly one creates it', async () => {
    const db = freshName('race');
    try {
      const runs = await Promise.all([1, 2, 3, 4].map(() => runNode([MIGRATE], env(db))));
      expect(runs.map((r) => [r.code, r.stderr])).toEqual(runs.map(() => [0, '']));
      expect(runs.filter((r) => r.stdout.includes(`created database "${db}"`))).toHaveLength(1);
      for (const s of SCHEMAS) expect((await migrations(db))[s]).toBeGreaterThan(0);
    } finally {
      await drop(db);
    }
  });
});

describe('npm start on a database that does not exist', () => {
  it('creates and migrates it, then every service comes up healthy on it; Ctrl-C stops everything', async () => {
    const db = freshName('start');
    const prefix = `test.start.${randomBytes(4).toString('hex')}`;
    const ports = {
      gateway: await freePort(),
      webhooks: await freePort(),
      voice: await freePort(),
      sandbox: await freePort(),
      llm: await freePort(),
      calcom: await freePort(),
    };
    let out = '';
    let child: ChildProcess | undefined;
    try {
      // What `npm start` runs, in its own process group so nothing outlives the test.
      child = spawn(process.execPath, ['scripts/start.js'], {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: env(db, {
          BROKER_PREFIX: prefix,
          HOST: '127.0.0.1',
          GATEWAY_PORT: String(ports.gateway),
          WEBHOOKS_PORT: String(ports.webhooks),
          VOICE_PORT: String(ports.voice),
          NUMBERS_METRICS_PORT: String(await freePort()),
          MESSAGING_METRICS_PORT: String(await freePort()),
          PUBLIC_WEBHOOK_BASE_URL: `http://127.0.0.1:${ports.webhooks}`,
          SANDBOX_PORT: String(ports.sandbox),
          LLM_STUB_PORT: String(ports.llm),
          CALCOM_SANDBOX_PORT: String(ports.calcom),
        }),
      });
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));

      const health = await waitFor(
        'gateway /health 200 on the new database',
        async () => {
          const res = await fetch(`http://127.0.0.1:${ports.gateway}/health`);
          return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
        },
        120_000,
        250,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- npm start output ---\n${out.split('\n').slice(-60).join('\n')}`);
      });
      expect(health).toEqual({
        status: 'ok',
        database: 'up',
        broker: 'up',
        services: { numbers: 'up', messaging: 'up', webhooks: 'up', voice: 'up' },
      });
      // Created once, by the preflight, before any service started.
      const created = lines(out).filter((l) => l.includes(`created database "${db}" (it did not exist)`));
      expect(created).toEqual([`created database "${db}" (it did not exist)`]);
      expect(out).not.toContain('restarting');
      expect(out).not.toMatch(/^\s+at /m);
      for (const s of SCHEMAS) expect((await migrations(db))[s]).toBeGreaterThan(0);
      // The API answers on it (an unauthenticated request is refused with our error shape).
      const res = await fetch(`http://127.0.0.1:${ports.gateway}/v1/agents`);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      await expect(fetch(`http://127.0.0.1:${ports.gateway}/health`)).rejects.toThrow();
    } finally {
      if (child?.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await deleteBrokerNamespace(prefix).catch(() => undefined);
      await drop(db);
    }
  }, 180_000);
});
