import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { http } from '../harness/api';
import { ROOT } from '../harness/infra';
import {
  SmsSender,
  clearFaults,
  recipient,
  sandboxFaults,
  send,
  smsBody,
  smsSender,
  waitForSms,
} from '../factories/sms';
import { Stack, freePort, waitFor } from '../harness/stack';

/**
 * Per-sender pacing, measured where Twilio would see it: the sandbox's
 * receive time of every message create (`received_at_ms`). Each case uses
 * its own sender, so the cases' buckets never mix.
 */
interface Received {
  sid: string;
  to: string;
  from: string;
  body: string;
  status: string;
  num_segments: number;
  received_at_ms: number;
}

const HORIZON_MS = 1000;
const BACKOFF_429_MS = 1000;
const BACKOFF_21611_MS = 3000;

async function received(stack: Stack, from: string): Promise<Received[]> {
  const res = await http<Received[]>(
    'GET',
    `${stack.sandboxUrl}/__admin/messages?${new URLSearchParams({ from }).toString()}`,
  );
  return res.body.sort((a, b) => a.received_at_ms - b.received_at_ms);
}

async function creates(stack: Stack, from: string): Promise<{ at: number; status: number }[]> {
  const res = await http<{ at: string; method: string; status: number; params: Record<string, string> }[]>(
    'GET',
    `${stack.sandboxUrl}/__admin/requests?path_contains=${encodeURIComponent('/Messages.json')}&method=POST`,
  );
  return res.body
    .filter((r) => r.params.From === from)
    .map((r) => ({ at: Date.parse(r.at), status: r.status }));
}

/** The most receive times in any window of `windowMs` (closed at its start, open at its end). */
function maxInWindow(times: number[], windowMs = 1000): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** Messages per second from the first receive to the last. */
function overallRate(times: number[]): number {
  return ((times.length - 1) * 1000) / (times[times.length - 1] - times[0]);
}

describe('SMS: per-sender pacing (Redis, measured at the sandbox)', () => {
  let stack: Stack;
  const extra: ChildProcess[] = [];

  beforeAll(async () => {
    stack = await Stack.start({
      env: {
        SMS_DISPATCH_POLL_MS: '200',
        SMS_PACE_HORIZON_MS: String(HORIZON_MS),
        SMS_PACE_429_BACKOFF_MS: String(BACKOFF_429_MS),
        SMS_PACE_21611_BACKOFF_MS: String(BACKOFF_21611_MS),
      },
    });
  }, 60_000);
  afterAll(async () => {
    for (const p of extra) p.kill('SIGKILL');
    await stack?.stop();
  });
  afterEach(() => clearFaults(stack));

  /** A sender whose number is paced at `rate` segments per second (its override). */
  async function pacedSender(rate: number | null): Promise<SmsSender> {
    const s = await smsSender(stack);
    const res = await s.account.api.patch(`/v1/phone-numbers/${encodeURIComponent(s.from_number)}`, {
      sms_rate_per_second: rate,
    });
    expect(res.status).toBe(200);
    expect(res.body.sms_rate_per_second).toBe(rate);
    return s;
  }

  /**
   * `n` messages from `s`, all due at once `aheadMs` from now (far enough for
   * every accept to land before it on a busy machine); their ids.
   */
  async function scheduleBatch(s: SmsSender, n: number, aheadMs: number, message?: (i: number) => string) {
    const sendAt = new Date(Date.now() + aheadMs).toISOString();
    const ids: string[] = [];
    for (let i = 0; i < n; i += 10) {
      const chunk = await Promise.all(
        Array.from({ length: Math.min(10, n - i) }, (_, k) =>
          s.account.api.post('/v1/sms', {
            ...smsBody(s, recipient(), message ? message(i + k) : `batch ${i + k} ${s.from_number}`),
            send_at: sendAt,
          }),
        ),
      );
      for (const r of chunk) {
        expect(r.status).toBe(202);
        expect(r.body.status).toBe('scheduled');
        ids.push(r.body.message_id);
      }
    }
    return ids;
  }

  async function allSent(stack: Stack, s: SmsSender, n: number, timeoutMs = 40_000): Promise<Received[]> {
    return waitFor(
      `${n} messages from ${s.from_number}`,
      async () => {
        const got = await received(stack, s.from_number);
        return got.length >= n ? got : undefined;
      },
      timeoutMs,
      200,
    );
  }

  it('the pace is a number setting: validated, shown, cleared with null', async () => {
    const s = await smsSender(stack);
    const url = `/v1/phone-numbers/${encodeURIComponent(s.from_number)}`;
    expect((await s.account.api.get(url)).body.sms_rate_per_second).toBeNull();
    for (const bad of [0, -1, 1001, 'fast', true]) {
      const res = await s.account.api.patch(url, { sms_rate_per_second: bad });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.message).toMatch(/sms_rate_per_second/);
    }
    expect((await s.account.api.patch(url, { sms_rate_per_second: 2.5 })).body.sms_rate_per_second).toBe(2.5);
    expect((await s.account.api.get(url)).body.sms_rate_per_second).toBe(2.5);
    expect(
      (await s.account.api.patch(url, { sms_rate_per_second: null })).body.sms_rate_per_second,
    ).toBeNull();
  });

  it('40 messages due at one instant go out at the sender pace (5/s): never above it, within 10 %', async () => {
    const s = await pacedSender(5);
    const ids = await scheduleBatch(s, 40, 6000);
    const got = await allSent(stack, s, 40);
    const times = got.map((m) => m.received_at_ms);
    expect(maxInWindow(times)).toBeLessThanOrEqual(5 + 1);
    const rate = overallRate(times);
    expect(rate).toBeLessThanOrEqual(5 * 1.1);
    expect(rate).toBeGreaterThanOrEqual(5 * 0.9);
    // Each message once.
    expect(new Set(got.map((m) => m.body)).size).toBe(40);
    await new Promise((r) => setTimeout(r, 500));
    expect(await received(stack, s.from_number)).toHaveLength(40);
    const rows = await stack.sql(
      `SELECT count(*)::int AS n, count(twilio_sid)::int AS sent, max(attempts)::int AS attempts
         FROM messaging.messages WHERE id = ANY($1)`,
      [ids],
    );
    expect(rows[0]).toEqual({ n: 40, sent: 40, attempts: 1 });
  });

  it('two senders at the same time are paced independently', async () => {
    const [a, b] = await Promise.all([pacedSender(4), pacedSender(4)]);
    await Promise.all([scheduleBatch(a, 16, 5000), scheduleBatch(b, 16, 5000)]);
    const [ga, gb] = await Promise.all([allSent(stack, a, 16), allSent(stack, b, 16)]);
    for (const got of [ga, gb]) {
      const times = got.map((m) => m.received_at_ms);
      expect(maxInWindow(times)).toBeLessThanOrEqual(4 + 1);
      expect(overallRate(times)).toBeGreaterThanOrEqual(4 * 0.9);
      expect(overallRate(times)).toBeLessThanOrEqual(4 * 1.1);
    }
    // Side by side, not one after the other.
    const aSpan = [ga[0].received_at_ms, ga[15].received_at_ms];
    const bSpan = [gb[0].received_at_ms, gb[15].received_at_ms];
    expect(Math.max(aSpan[0], bSpan[0])).toBeLessThan(Math.min(aSpan[1], bSpan[1]));
  });

  it('an API send jumps the bulk queue: it reaches Twilio within about the horizon + 1 s', async () => {
    const s = await pacedSender(2);
    await scheduleBatch(s, 30, 5000);
    await waitFor(
      'the bulk drain to start',
      async () => (await received(stack, s.from_number)).length >= 4,
      20_000,
      100,
    );
    const to = recipient();
    const postedAt = Date.now();
    const res = await send(s, to, 'interactive, from the same number');
    expect(res.status).toBe(202);
    const interactive = await waitFor(
      'the API send at Twilio',
      async () => (await received(stack, s.from_number)).find((m) => m.to === to),
      20_000,
      50,
    );
    expect(interactive.received_at_ms - postedAt).toBeLessThanOrEqual(HORIZON_MS + 1000);
    const got = await allSent(stack, s, 31, 40_000);
    // Bulk was still draining after it, and the pace held across both kinds.
    expect(got[got.length - 1].received_at_ms).toBeGreaterThan(interactive.received_at_ms + 2000);
    const times = got.map((m) => m.received_at_ms);
    expect(maxInWindow(times)).toBeLessThanOrEqual(2 + 1);
    expect(overallRate(times)).toBeLessThanOrEqual(2 * 1.1);
  });

  it('multi-segment messages count their segments (4 segments/s = 2 messages of 2 segments/s)', async () => {
    const s = await pacedSender(4);
    const long = (i: number) => `${String(i).padStart(3, '0')} ${'x'.repeat(196)}`; // 200 GSM chars: 2 segments
    await scheduleBatch(s, 12, 5000, long);
    const got = await allSent(stack, s, 12);
    expect(got.every((m) => m.num_segments === 2)).toBe(true);
    const times = got.map((m) => m.received_at_ms);
    expect(maxInWindow(times)).toBeLessThanOrEqual(2 + 1);
    expect(overallRate(times)).toBeGreaterThanOrEqual(2 * 0.9);
    expect(overallRate(times)).toBeLessThanOrEqual(2 * 1.1);
  });

  it.each([
    [429, BACKOFF_429_MS],
    [21611, BACKOFF_21611_MS],
  ])(
    'Twilio %d: the sender pauses, then every message goes exactly once and none fails',
    async (error, pauseMs) => {
      const s = await pacedSender(null); // a UK number: 10/s
      await sandboxFaults(stack, { messages_create: { error, count: 1, from: s.from_number } });
      const tos = Array.from({ length: 6 }, () => recipient());
      const accepted = [];
      for (const to of tos) accepted.push(await send(s, to, `to ${to}`));
      for (const r of accepted) {
        const done = await waitForSms(s, r.body.message_id, (b) => b.status === 'delivered', 30_000);
        expect(done.status).toBe('delivered');
      }
      const got = await received(stack, s.from_number);
      expect(got).toHaveLength(6);
      expect(new Set(got.map((m) => m.to))).toEqual(new Set(tos));
      const log = await creates(stack, s.from_number);
      const refused = log.filter((c) => c.status !== 201);
      expect(refused.map((c) => c.status)).toEqual([error === 429 ? 429 : 400]);
      // Nothing reached Twilio from this sender during the pause.
      const during = log.filter(
        (c) => c.status === 201 && c.at > refused[0].at && c.at < refused[0].at + pauseMs - 50,
      );
      expect(during).toEqual([]);
      const rows = await stack.sql(
        `SELECT count(*)::int AS failed FROM messaging.messages WHERE from_number = $1 AND status = 'failed'`,
        [s.from_number],
      );
      expect(rows[0].failed).toBe(0);
    },
  );

  it('two messaging processes share one sender pace through Redis', async () => {
    const secondLog = `${stack.logFile}.messaging-2`;
    const out = fs.openSync(secondLog, 'a');
    const second = spawn(
      process.execPath,
      ['--enable-source-maps', path.join(ROOT, 'dist/apps/messaging/src/main.js')],
      // Its own metrics port: the first process holds the stack's.
      { cwd: ROOT, env: { ...stack.env, MESSAGING_METRICS_PORT: '0' }, stdio: ['ignore', out, out] },
    );
    fs.closeSync(out);
    extra.push(second);
    // Give it time to connect and consume beside the first.
    await new Promise((r) => setTimeout(r, 4000));
    expect(second.exitCode).toBeNull();

    const s = await pacedSender(5);
    await scheduleBatch(s, 30, 5000);
    const got = await allSent(stack, s, 30);
    const times = got.map((m) => m.received_at_ms);
    expect(maxInWindow(times)).toBeLessThanOrEqual(5 + 1);
    expect(overallRate(times)).toBeLessThanOrEqual(5 * 1.1);
    expect(overallRate(times)).toBeGreaterThanOrEqual(5 * 0.9);
    expect(new Set(got.map((m) => m.body)).size).toBe(30);
    // The second process was up and consuming beside the first all along.
    expect(second.exitCode).toBeNull();
    expect(fs.readFileSync(secondLog, 'utf8')).toMatch(/consum|listening|started/i);
    fs.rmSync(secondLog, { force: true });
  }, 60_000);

  it('Redis unreachable: messaging still starts and sends, paced in its own memory, and says so', async () => {
    // Every messaging process replaced by one whose Redis does not answer.
    for (const p of extra.splice(0)) p.kill('SIGKILL');
    await stack.kill('messaging');
    const lonelyLog = `${stack.logFile}.messaging-no-redis`;
    const out = fs.openSync(lonelyLog, 'a');
    const lonely = spawn(
      process.execPath,
      ['--enable-source-maps', path.join(ROOT, 'dist/apps/messaging/src/main.js')],
      {
        cwd: ROOT,
        env: { ...stack.env, REDIS_URL: `redis://127.0.0.1:${await freePort()}` },
        stdio: ['ignore', out, out],
      },
    );
    fs.closeSync(out);
    extra.push(lonely);
    const health = await waitFor(
      'messaging to answer health without Redis',
      async () => {
        const res = await http('GET', `${stack.gatewayUrl}/health`);
        return res.body?.services?.messaging === 'degraded' ? res : undefined;
      },
      30_000,
      200,
    );
    expect(health.status).toBe(503);

    const s = await pacedSender(5);
    await scheduleBatch(s, 20, 5000);
    const got = await allSent(stack, s, 20);
    const times = got.map((m) => m.received_at_ms);
    expect(maxInWindow(times)).toBeLessThanOrEqual(5 + 1);
    expect(overallRate(times)).toBeLessThanOrEqual(5 * 1.1);
    expect(overallRate(times)).toBeGreaterThanOrEqual(5 * 0.9);
    expect(new Set(got.map((m) => m.body)).size).toBe(20);
    expect(lonely.exitCode).toBeNull();
    expect(fs.readFileSync(lonelyLog, 'utf8')).toMatch(/pacing per process/);
    fs.rmSync(lonelyLog, { force: true });
  }, 90_000);
});
