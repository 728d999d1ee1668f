import { exec } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { smsSender } from '../factories/sms';
import { Stack } from '../harness/stack';
import { DRILL_ENV, expectEachSentOnceAndFinal, sendMany } from './load';

const N = Number(process.env.FAULTS_MESSAGES ?? 2000);
const sh = promisify(exec);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const rabbit = (action: 'stop_app' | 'start_app') => sh(`rabbitmqctl ${action}`, { timeout: 120_000 });
const postgres = (action: 'stop' | 'start') =>
  sh(
    `pg_ctlcluster --skip-systemctl-redirect ${fs.readdirSync('/etc/postgresql')[0]} main ${action}${action === 'stop' ? ' -m fast' : ''}`,
    { timeout: 120_000 },
  );

/** Sends N messages and, a quarter of the way in, takes a dependency down for five seconds. */
async function underOutage(
  stack: Stack,
  tag: string,
  down: () => Promise<unknown>,
  up: () => Promise<unknown>,
) {
  const sender = await smsSender(stack);
  let outage: Promise<void> | undefined;
  const result = await sendMany(sender, N, 16, {
    tag,
    onProgress: (n) => {
      if (!outage && n >= N / 4) {
        outage = (async () => {
          await down();
          await sleep(5000);
          await up();
        })();
      }
    },
  });
  await outage;
  return { sender, ...result, outageHappened: outage !== undefined };
}

describe('infrastructure restarted under load', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({
      // Thousands of messages from one number: exactly-once under restarts, not pacing (SMS_PACING off).
      env: {
        LOG_LEVEL: 'warn',
        RPC_TIMEOUT_MS: '5000',
        SMS_STATUS_RECONCILE_AFTER_MS: '3000',
        ...DRILL_ENV,
      },
    });
  });
  afterAll(async () => {
    await rabbit('start_app').catch(() => undefined);
    await postgres('start').catch(() => undefined);
    await stack?.stop();
  });

  it('RabbitMQ stopped and started: refused cleanly while down, nothing accepted is lost, recovers by itself', async () => {
    const { sender, accepted, refusals, outageHappened } = await underOutage(
      stack,
      'rabbit',
      () => rabbit('stop_app'),
      () => rabbit('start_app'),
    );
    expect(outageHappened).toBe(true);
    expect(refusals[500] ?? 0).toBe(0);
    expect((refusals[503] ?? 0) + (refusals[504] ?? 0)).toBeGreaterThan(0);
    expect(accepted).toHaveLength(N);
    await stack.waitHealthy(60_000);
    await expectEachSentOnceAndFinal(stack, sender, accepted);
  });

  it('Postgres restarted: refused cleanly while down, nothing accepted is lost, recovers by itself', async () => {
    const { sender, accepted, refusals, outageHappened } = await underOutage(
      stack,
      'postgres',
      () => postgres('stop'),
      () => postgres('start'),
    );
    expect(outageHappened).toBe(true);
    expect(refusals[500] ?? 0).toBe(0);
    expect((refusals[503] ?? 0) + (refusals[504] ?? 0)).toBeGreaterThan(0);
    expect(accepted).toHaveLength(N);
    await stack.waitHealthy(60_000);
    await expectEachSentOnceAndFinal(stack, sender, accepted);
  });
});
