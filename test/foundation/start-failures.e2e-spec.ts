/**
 * A process that cannot start says why in one line, with what to do, and
 * exits non-zero: no stack trace, no password. Unreachable Postgres and
 * RabbitMQ are simulated with closed ports (the machine's servers are never
 * stopped).
 */
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import PROCESSES from '../../scripts/processes.json';
import { adminQuery, baseDatabaseUrl, databaseUrl, rabbitmqUrl, runId } from '../harness/infra';
import { Exit, lines, runNode } from '../harness/run';
import { deleteBrokerNamespace, freePort } from '../harness/stack';

const SECRET = 'pw-s3cret-do-not-print';
const START = 'scripts/start.js';
const MIGRATE = 'dist/libs/common/src/db/migrate.cli.js';

/** A URL of the real server whose user has a password we must never see printed. */
function withPassword(url: string, port?: number): string {
  const u = new URL(url);
  u.password = SECRET;
  if (port) u.port = String(port);
  return u.toString();
}

async function baseEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const id = randomBytes(4).toString('hex');
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl(`nixflex_test_${runId()}_fail_${id}`),
    RABBITMQ_URL: rabbitmqUrl(),
    BROKER_PREFIX: `test.fail.${id}`,
    HOST: '127.0.0.1',
    GATEWAY_PORT: String(await freePort()),
    WEBHOOKS_PORT: String(await freePort()),
    VOICE_PORT: String(await freePort()),
    NUMBERS_METRICS_PORT: String(await freePort()),
    MESSAGING_METRICS_PORT: String(await freePort()),
    SANDBOX_PORT: String(await freePort()),
    LLM_STUB_PORT: String(await freePort()),
    CALCOM_SANDBOX_PORT: String(await freePort()),
    ...extra,
  };
}

/** Exactly one line says "<who>: <why>", nothing looks like a stack trace, nothing leaks the password. */
function expectOneClearLine(exit: Exit, who: string, ...mentions: (string | RegExp)[]): string {
  const all = `${exit.stdout}\n${exit.stderr}`;
  expect(exit.code).not.toBe(0);
  expect(exit.code).not.toBeNull();
  expect(all).not.toMatch(/^\s+at /m);
  expect(all).not.toContain(SECRET);
  const said = lines(exit.stderr).filter((l) => l.includes(`${who}:`));
  expect(said).toHaveLength(1);
  for (const m of mentions) expect(said[0]).toMatch(m);
  return said[0];
}

describe('npm start and npm run migrate refuse to start cleanly', () => {
  it('Postgres unreachable: one line naming it and how to start it; nothing is started', async () => {
    const closed = await freePort();
    const env = await baseEnv({ DATABASE_URL: withPassword(baseDatabaseUrl(), closed) });
    const exit = await runNode([START], env);
    expectOneClearLine(
      exit,
      'nixflex cannot start',
      new RegExp(`Postgres at \\S+:${closed} is unreachable`),
      'ECONNREFUSED',
      /Start it with: pg_ctlcluster .* main start/,
    );
    expect(lines(exit.stderr)).toHaveLength(1);
    expect(exit.code).toBe(69);
    expect(exit.stdout).not.toMatch(/\[(gateway|numbers|messaging|webhooks)\s*\]/);
  });

  it('RabbitMQ unreachable: one line naming it and how to start it; nothing is started', async () => {
    const closed = await freePort();
    const env = await baseEnv({ RABBITMQ_URL: withPassword(rabbitmqUrl(), closed) });
    try {
      const exit = await runNode([START], env);
      expectOneClearLine(
        exit,
        'nixflex cannot start',
        new RegExp(`RabbitMQ at \\S+:${closed} is unreachable`),
        /Start it with: rabbitmq-server -detached/,
      );
      expect(lines(exit.stderr)).toHaveLength(1);
      expect(exit.stdout).not.toMatch(/\[(gateway|numbers|messaging|webhooks)\s*\]/);
    } finally {
      await adminQuery(
        `DROP DATABASE IF EXISTS "${new URL(env.DATABASE_URL).pathname.slice(1)}" WITH (FORCE)`,
      );
    }
  });

  it('bad environment: every bad variable on one line, exit 78, nothing started', async () => {
    const env = await baseEnv({
      DATABASE_URL: `mysql://root:${SECRET}@127.0.0.1/nixflex_test`,
      GATEWAY_PORT: 'not-a-port',
      RPC_TIMEOUT_MS: '1',
    });
    const exit = await runNode([START], env);
    expectOneClearLine(exit, 'nixflex cannot start', 'DATABASE_URL', 'GATEWAY_PORT', 'RPC_TIMEOUT_MS');
    expect(lines(exit.stderr)).toHaveLength(1);
    expect(exit.code).toBe(78);
  });

  it('npm run migrate: Postgres unreachable, and a database name it will not create', async () => {
    const closed = await freePort();
    const unreachable = await runNode(
      [MIGRATE],
      await baseEnv({ DATABASE_URL: withPassword(baseDatabaseUrl(), closed) }),
    );
    expectOneClearLine(
      unreachable,
      'cannot migrate',
      new RegExp(`Postgres at \\S+:${closed} is unreachable`),
    );
    const odd = new URL(withPassword(baseDatabaseUrl()));
    odd.pathname = `/${encodeURIComponent('nixflex test"; DROP')}`;
    const refused = await runNode([MIGRATE], await baseEnv({ DATABASE_URL: odd.toString() }));
    expectOneClearLine(refused, 'cannot migrate', 'refusing to create database', 'create it yourself');
    expect(refused.code).toBe(78);
  });
});

describe('a service process refuses to start cleanly', () => {
  it('waits a while for Postgres or RabbitMQ, then says which is unreachable and exits non-zero', async () => {
    const [pgClosed, amqpClosed] = [await freePort(), await freePort()];
    const pgEnv = await baseEnv({ DATABASE_URL: withPassword(baseDatabaseUrl(), pgClosed) });
    const amqpEnv = await baseEnv({ RABBITMQ_URL: withPassword(rabbitmqUrl(), amqpClosed) });
    try {
      const [numbers, gateway] = await Promise.all([
        runNode([PROCESSES.numbers], pgEnv, 90_000),
        runNode([PROCESSES.gateway], amqpEnv, 90_000),
      ]);
      expectOneClearLine(
        numbers,
        'numbers cannot start',
        new RegExp(`Postgres at \\S+:${pgClosed} is unreachable`),
      );
      expectOneClearLine(
        gateway,
        'gateway cannot start',
        new RegExp(`RabbitMQ at \\S+:${amqpClosed} is unreachable`),
      );
      expect([numbers.code, gateway.code]).toEqual([69, 69]);
    } finally {
      await adminQuery(
        `DROP DATABASE IF EXISTS "${new URL(amqpEnv.DATABASE_URL).pathname.slice(1)}" WITH (FORCE)`,
      );
      await deleteBrokerNamespace(amqpEnv.BROKER_PREFIX).catch(() => undefined);
    }
  }, 120_000);

  it('bad environment: one line listing the variable, exit 78', async () => {
    const exit = await runNode([PROCESSES.messaging], await baseEnv({ BROKER_MAX_ATTEMPTS: 'many' }));
    expectOneClearLine(exit, 'messaging cannot start', 'BROKER_MAX_ATTEMPTS');
    expect(exit.code).toBe(78);
  });

  it('its port taken (or its metrics port): says which port and which variable moves it, exit 78', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const cases = [
      { service: 'webhooks', variable: 'WEBHOOKS_PORT' },
      { service: 'messaging', variable: 'MESSAGING_METRICS_PORT' },
    ] as const;
    const envs = await Promise.all(cases.map((c) => baseEnv({ [c.variable]: String(port) })));
    try {
      const exits = await Promise.all(cases.map((c, i) => runNode([PROCESSES[c.service]], envs[i], 90_000)));
      cases.forEach((c, i) => {
        expectOneClearLine(
          exits[i],
          `${c.service} cannot start`,
          `port ${port} on 127.0.0.1 is already in use`,
          c.variable,
        );
        expect(exits[i].code).toBe(78);
      });
    } finally {
      blocker.close();
      for (const env of envs) {
        await adminQuery(
          `DROP DATABASE IF EXISTS "${new URL(env.DATABASE_URL).pathname.slice(1)}" WITH (FORCE)`,
        );
        await deleteBrokerNamespace(env.BROKER_PREFIX).catch(() => undefined);
      }
    }
  }, 90_000);

  it('under npm start, a service that cannot start for a configuration reason stops everything (no restart loop)', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const env = await baseEnv({ GATEWAY_PORT: String(port) });
    try {
      const exit = await runNode([START], env, 90_000);
      expect(exit.code).toBe(78);
      expect(exit.stdout).toMatch(
        new RegExp(`\\[gateway\\s*\\] gateway cannot start: port ${port} on 127.0.0.1`),
      );
      expect(exit.stdout).toContain('stopping everything');
      expect(exit.stdout).not.toContain('restarting');
      expect(`${exit.stdout}${exit.stderr}`).not.toMatch(/^\s+at /m);
    } finally {
      blocker.close();
      await adminQuery(
        `DROP DATABASE IF EXISTS "${new URL(env.DATABASE_URL).pathname.slice(1)}" WITH (FORCE)`,
      );
      await deleteBrokerNamespace(env.BROKER_PREFIX).catch(() => undefined);
    }
  }, 120_000);
});
