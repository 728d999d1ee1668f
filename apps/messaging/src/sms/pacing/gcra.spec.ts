import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { BackoffRule, Gcra, LocalGcra, RedisGcra } from './gcra';

/**
 * The limiter's script on the real Redis of this machine (REDIS_URL, default
 * 127.0.0.1:6379), with two clients standing for two messaging replicas.
 * Keys are unique per run and expire on their own.
 */
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RULE: BackoffRule = { baseMs: 1000, maxMs: 30_000, queueFullMs: 60_000 };

// Bounds leave room for a loaded machine between two calls (npm test runs suites side by side).
describe('GCRA in Redis (two replicas)', () => {
  let a: Redis;
  let b: Redis;
  let ga: Gcra;
  let gb: Gcra;
  const key = () => `nixflex-test:${randomBytes(6).toString('hex')}:sms:pace:+447700900123`;

  beforeAll(() => {
    a = new Redis(url, { lazyConnect: false });
    b = new Redis(url, { lazyConnect: false });
    ga = new RedisGcra(a);
    gb = new RedisGcra(b);
  });
  afterAll(async () => {
    await a.quit();
    await b.quit();
  });

  it('two replicas taking slots of one sender get one timeline: each slot one cost after the last', async () => {
    const k = key();
    const takes = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? ga : gb).take(k, 200, -1)));
    expect(takes.every((t) => t.granted)).toBe(true);
    // 20 slots of 200 ms: starts 0, 200, ..., 3800 ms ahead (allow the calls' own time).
    const starts = takes.map((t) => t.aheadMs).sort((x, y) => x - y);
    for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBeGreaterThan(100);
    expect(starts[19]).toBeGreaterThan(3000);
    expect(starts[19]).toBeLessThanOrEqual(3800);
    const [peekA] = await ga.peek([k]);
    const [peekB] = await gb.peek([k]);
    expect(Math.abs(peekA - peekB)).toBeLessThan(500);
    expect(peekA).toBeGreaterThan(3000);
  });

  it('a bounded take books nothing when the next slot starts beyond the bound', async () => {
    const k = key();
    expect(await ga.take(k, 600, 1000)).toMatchObject({ granted: true });
    expect(await gb.take(k, 600, 1000)).toMatchObject({ granted: true });
    const refused = await ga.take(k, 600, 1000);
    expect(refused.granted).toBe(false);
    expect(refused.aheadMs).toBeGreaterThan(1000);
    const [ahead] = await gb.peek([k]);
    expect(ahead).toBeLessThanOrEqual(1200);
    expect(ahead).toBeGreaterThan(700);
    // An unbounded (interactive) take still books after it.
    const interactive = await gb.take(k, 600, -1);
    expect(interactive.granted).toBe(true);
    expect(interactive.aheadMs).toBeGreaterThan(700);
  });

  it('a free sender is free now; an idle sender is free again after its backlog', async () => {
    const k = key();
    expect(await ga.peek([k, key()])).toEqual([0, 0]);
    await ga.take(k, 100, -1);
    await new Promise((r) => setTimeout(r, 150));
    expect(await gb.peek([k])).toEqual([0]);
    expect((await gb.take(k, 100, 0)).granted).toBe(true);
  });

  it('429 pauses from 1 s, doubling per new pause; repeats within a pause are the same pause', async () => {
    const k = key();
    const first = await ga.backoff(k, '429', RULE);
    expect(first.delayMs).toBe(1000);
    expect(first.aheadMs).toBeGreaterThan(990);
    // A second later at most (a loaded machine may take a while between the calls).
    expect(await gb.pausedMs(k)).toBeGreaterThan(0);
    expect(await gb.pausedMs(k)).toBeLessThanOrEqual(1000);
    const sameBurst = await gb.backoff(k, '429', RULE);
    expect(sameBurst.delayMs).toBe(1000);
    expect(sameBurst.aheadMs).toBeLessThanOrEqual(1000);
    // The next slot starts after the pause.
    expect((await ga.take(k, 100, -1)).aheadMs).toBeGreaterThan(500);
    await new Promise((r) => setTimeout(r, 1200));
    const second = await gb.backoff(k, '429', RULE);
    expect(second.delayMs).toBe(2000);
    const capped = await ga.backoff(k, '429', { ...RULE, maxMs: 1500 });
    expect(capped.delayMs).toBe(1500);
  });

  it('21611 pauses the sender for the fixed queue-full time', async () => {
    const k = key();
    const r = await ga.backoff(k, '21611', { ...RULE, queueFullMs: 5000 });
    expect(r.delayMs).toBe(5000);
    const [ahead] = await gb.peek([k]);
    expect(ahead).toBeGreaterThan(4500);
    expect((await gb.take(k, 100, 1000)).granted).toBe(false);
    expect(await ga.pausedMs(k)).toBeGreaterThan(4500);
    expect(await ga.pausedMs(key())).toBe(0);
  });

  it('keys expire a minute after their backlog', async () => {
    const k = key();
    await ga.take(k, 2000, -1);
    const ttl = await a.pttl(k);
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(62_000);
  });
});

describe('GCRA in process memory (the fallback)', () => {
  let now = 1_000_000;
  const g = new LocalGcra(() => now);

  it('books slots one cost apart and refuses beyond the bound', async () => {
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) starts.push((await g.take('s', 250, -1)).aheadMs);
    expect(starts).toEqual([0, 250, 500, 750, 1000]);
    expect(await g.take('s', 250, 1000)).toEqual({ granted: false, aheadMs: 1250 });
    now += 2000;
    expect(await g.peek(['s', 'other'])).toEqual([0, 0]);
  });

  it('429 doubles per new pause, not within one; 21611 is fixed', async () => {
    expect((await g.backoff('t', '429', RULE)).delayMs).toBe(1000);
    expect((await g.backoff('t', '429', RULE)).delayMs).toBe(1000);
    now += 1500;
    expect((await g.backoff('t', '429', RULE)).delayMs).toBe(2000);
    expect(await g.backoff('u', '21611', RULE)).toEqual({ delayMs: 60_000, aheadMs: 60_000 });
    expect(await g.pausedMs('u')).toBe(60_000);
    expect(await g.pausedMs('v')).toBe(0);
  });
});
