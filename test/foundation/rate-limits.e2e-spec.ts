import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Redis from 'ioredis';
import { TwilioPaths } from '@nixflex/common/twilio';
import { TestAccount, cli, createAccount } from '../factories/accounts';
import { inbound } from '../factories/inbound';
import { ukMobile } from '../factories/sms';
import { callSid, postTwilio, voiceLine } from '../factories/voice';
import { Api, ApiResponse, http } from '../harness/api';
import { ROOT } from '../harness/infra';
import { Stack, freePort, waitFor } from '../harness/stack';

/**
 * Rate limits with small quotas and a long window (the test must not outlast
 * it on a loaded machine): a key may make 5 requests per 60 s, an account 8;
 * a caller may send 3 SMS and place 2 calls per minute. Each test uses a
 * fresh account, so each starts its own windows.
 */
const ENV = {
  RATE_LIMIT_KEY_PER_WINDOW: '5',
  RATE_LIMIT_ACCOUNT_PER_WINDOW: '8',
  RATE_LIMIT_WINDOW_S: '60',
  RATE_LIMIT_OVERRIDE_CACHE_MS: '300',
  RATE_LIMIT_TWILIO_SMS_PER_FROM: '3',
  RATE_LIMIT_TWILIO_CALLS_PER_FROM: '2',
};
const POLICY = '"key";q=5;w=60, "account";q=8;w=60';

/** Another gateway process of the stack (same database, broker and Redis prefix unless `env` says otherwise). */
async function extraGateway(stack: Stack, env: Record<string, string> = {}) {
  const port = await freePort();
  const out = fs.openSync(stack.logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'dist/apps/gateway/src/main.js')], {
    cwd: ROOT,
    env: { ...stack.env, GATEWAY_PORT: String(port), ...env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`gateway on ${port}`, async () => (await fetch(`${url}/health`)).status > 0, 90_000, 100);
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** `"key";r=4;t=60, "account";r=7;t=60` -> { key: { r: 4, t: 60 }, account: { r: 7, t: 60 } } */
function parseList(header: string | null): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const member of (header ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean)) {
    const [name, ...params] = member.split(';');
    out[JSON.parse(name)] = Object.fromEntries(
      params.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]),
    );
  }
  return out;
}

/** Requests until the first 429 (at most `max`); the number allowed before it, and the 429. */
async function untilRefused(apis: Api[], max: number): Promise<{ allowed: number; refused: ApiResponse }> {
  for (let i = 0; i < max; i++) {
    const res = await apis[i % apis.length].get('/v1/agents');
    if (res.status === 429) return { allowed: i, refused: res };
    expect(res.status).toBe(200);
  }
  throw new Error(`no 429 in ${max} requests`);
}

async function newKey(stack: Stack, account: TestAccount, url = stack.gatewayUrl): Promise<Api> {
  const { stdout } = await cli(stack, 'keys:create', '--account', account.account_id);
  return new Api(url, JSON.parse(stdout.trim()).api_key);
}

describe('rate limits', () => {
  let stack: Stack;
  let redis: Redis;

  beforeAll(async () => {
    stack = await Stack.start({ env: ENV });
    redis = new Redis(stack.env.REDIS_URL);
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  it('reports Redis in /health and puts the RateLimit headers on every limited response, errors too', async () => {
    const health = await http('GET', `${stack.gatewayUrl}/health`);
    expect(health.body).toMatchObject({ status: 'ok', redis: 'up' });
    expect(health.headers.get('ratelimit')).toBeNull();

    const acct = await createAccount(stack);
    const ok = await acct.api.get('/v1/agents');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit-policy')).toBe(POLICY);
    const left = parseList(ok.headers.get('ratelimit'));
    expect(left).toEqual({ key: { r: 4, t: expect.any(Number) }, account: { r: 7, t: expect.any(Number) } });
    expect(left.key.t).toBeGreaterThan(0);
    expect(left.key.t).toBeLessThanOrEqual(60);

    const missing = await acct.api.get('/v1/agents/agent_0000000000000000');
    expect(missing.status).toBe(404);
    expect(parseList(missing.headers.get('ratelimit')).key.r).toBe(3);
    // Counted before the body is validated: a bad body counts too, and gets the headers.
    const bad = await acct.api.post('/v1/agents', { nonsense: true });
    expect(bad.status).toBe(400);
    expect(parseList(bad.headers.get('ratelimit')).key.r).toBe(2);
  });

  it('answers 429 rate_limited with Retry-After per key, then per account over all its keys', async () => {
    const acct = await createAccount(stack);
    const byKey = await untilRefused([acct.api], 6);
    expect(byKey.allowed).toBe(5);
    expect(byKey.refused.body).toEqual({
      error: {
        code: 'rate_limited',
        message: expect.stringMatching(
          /^Rate limit of 5 requests per 60 s for this API key exceeded; retry after \d+ s$/,
        ),
      },
    });
    const retryAfter = Number(byKey.refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(byKey.refused.body.error.message).toContain(`retry after ${retryAfter} s`);
    expect(byKey.refused.headers.get('ratelimit-policy')).toBe(POLICY);
    // The refused request was not counted against the account: 3 of its 8 are left.
    expect(parseList(byKey.refused.headers.get('ratelimit'))).toMatchObject({
      key: { r: 0 },
      account: { r: 3 },
    });

    // Another key has its own 5, but the account only 3 more.
    const byAccount = await untilRefused([await newKey(stack, acct)], 5);
    expect(byAccount.allowed).toBe(3);
    expect(byAccount.refused.body.error.message).toMatch(/for this account exceeded/);
    expect(Number(byAccount.refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(parseList(byAccount.refused.headers.get('ratelimit'))).toMatchObject({
      key: { r: 1 },
      account: { r: 0 },
    });
  });

  it('applies an override set with the CLI to the running gateway, and back to the default', async () => {
    const acct = await createAccount(stack);
    expect((await acct.api.get('/v1/agents')).headers.get('ratelimit-policy')).toBe(POLICY);
    const set = await cli(
      stack,
      'account:rate-limits',
      '--account',
      acct.account_id,
      '--key-per-window',
      '7',
      '--account-per-window',
      '9',
    );
    expect(JSON.parse(set.stdout)).toMatchObject({
      account_id: acct.account_id,
      key_per_window: 7,
      account_per_window: 9,
      window_s: 60,
      overrides: { key_per_window: 7, account_per_window: 9 },
    });
    // The gateway reads it again after RATE_LIMIT_OVERRIDE_CACHE_MS (300 ms here); no restart.
    await new Promise((r) => setTimeout(r, 400));
    const after = await acct.api.get('/v1/agents');
    expect(after.headers.get('ratelimit-policy')).toBe('"key";q=7;w=60, "account";q=9;w=60');
    // The window already running goes on: two requests counted.
    expect(parseList(after.headers.get('ratelimit')).key.r).toBe(5);

    const reset = await cli(
      stack,
      'account:rate-limits',
      '--account',
      acct.account_id,
      '--key-per-window',
      'default',
    );
    expect(JSON.parse(reset.stdout)).toMatchObject({
      key_per_window: 5,
      overrides: { key_per_window: null, account_per_window: 9 },
    });
    await expect(
      cli(stack, 'account:rate-limits', '--account', acct.account_id, '--key-per-window', '0'),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('validation_failed') });
  }, 120_000); // four runs of the CLI, each a new node process

  it('shares the counters between gateway replicas; without Redis a replica limits on its own', async () => {
    // The second replica shares Redis; the third has Redis on a port nothing listens on.
    const [second, noRedis] = await Promise.all([
      extraGateway(stack),
      freePort().then((port) => extraGateway(stack, { REDIS_URL: `redis://127.0.0.1:${port}` })),
    ]);
    try {
      const acct = await createAccount(stack);
      const a = acct.api;
      const b = new Api(second.url, acct.api_key);
      expect(parseList((await a.get('/v1/agents')).headers.get('ratelimit')).key.r).toBe(4);
      expect(parseList((await b.get('/v1/agents')).headers.get('ratelimit')).key.r).toBe(3);
      const { allowed } = await untilRefused([a, b], 5);
      expect(allowed).toBe(3);

      const health = await http('GET', `${noRedis.url}/health`);
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: 'degraded', redis: 'down', database: 'up' });
      const other = await createAccount(stack);
      const local = new Api(noRedis.url, other.api_key);
      const first = await local.get('/v1/agents');
      expect(first.status).toBe(200);
      expect(parseList(first.headers.get('ratelimit')).key.r).toBe(4);
      expect((await untilRefused([local], 5)).allowed).toBe(4);
      expect(fs.readFileSync(stack.logFile, 'utf8')).toContain(
        'limits are counted per process until it answers',
      );
    } finally {
      await Promise.all([second.stop(), noRedis.stop()]);
    }
  }, 150_000); // two more gateway processes start: slow on a loaded machine

  it('drops inbound SMS and calls over the limit per caller with a TwiML answer Twilio does not retry', async () => {
    const line = await voiceLine(stack);
    const flooder = ukMobile('2001');
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await inbound(stack, flooder, line.phone, `flood ${i}`));
    for (const r of results) {
      expect(r.deliveries.map((d) => d.status)).toEqual([200]);
      expect(r.deliveries[0].body).toContain('<Response/>');
    }
    // Another caller is not held back by the flood.
    const other = await inbound(stack, ukMobile('2002'), line.phone, 'hello');
    const kept = [...results.slice(0, 3), other].map((r) => r.message_sid);
    await waitFor('accepted inbound SMS stored', async () => {
      const rows = await stack.sql(`SELECT 1 FROM messaging.messages WHERE twilio_sid = ANY($1)`, [kept]);
      return rows.length === kept.length;
    });
    const dropped = results[3].message_sid;
    expect(await stack.sql(`SELECT 1 FROM messaging.messages WHERE twilio_sid = $1`, [dropped])).toEqual([]);
    expect(await redis.hget(`${stack.env.REDIS_KEY_PREFIX}twilio-flood:refused`, 'sms')).toBe('1');
    expect(fs.readFileSync(stack.logFile, 'utf8')).toContain(`dropped inbound SMS ${dropped}`);

    const caller = ukMobile('2003');
    const call = () =>
      postTwilio(
        stack,
        TwilioPaths.voice,
        {
          CallSid: callSid(),
          AccountSid: line.twilio.account_sid,
          From: caller,
          To: line.phone,
          Direction: 'inbound',
        },
        line.twilio.auth_token,
      );
    const answers = [await call(), await call(), await call()];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers[0].body).toContain('<ConversationRelay');
    expect(answers[1].body).toContain('<ConversationRelay');
    expect(answers[2].body).toContain('<Reject reason="busy"/>');
    expect(await redis.hget(`${stack.env.REDIS_KEY_PREFIX}twilio-flood:refused`, 'calls')).toBe('1');
    const metrics = (await http<string>('GET', `${stack.webhooksUrl}/metrics`)).body;
    expect(metrics).toMatch(/^nixflex_twilio_flood_dropped_total\{[^}]*kind="sms"[^}]*\} 1$/m);
    expect(metrics).toMatch(/^nixflex_twilio_flood_dropped_total\{[^}]*kind="calls"[^}]*\} 1$/m);
  });
});
