import { TtlCache } from './ttl-cache';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('TtlCache', () => {
  let now: number;
  const clock = () => now;
  beforeEach(() => (now = 1_000));

  it('coalesces concurrent misses into one load and serves hits from memory', async () => {
    const d = deferred<string>();
    const load = jest.fn(() => d.promise);
    const cache = new TtlCache<string, string>(load, { ttlMs: 60_000, maxEntries: 10, now: clock });
    const all = Promise.all([cache.get('+1'), cache.get('+1'), cache.get('+1')]);
    d.resolve('v1');
    expect(await all).toEqual(['v1', 'v1', 'v1']);
    expect(await cache.get('+1')).toBe('v1');
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('reloads after the TTL', async () => {
    let n = 0;
    const cache = new TtlCache<string, number>(async () => ++n, {
      ttlMs: 60_000,
      maxEntries: 10,
      now: clock,
    });
    expect(await cache.get('k')).toBe(1);
    now += 59_999;
    expect(await cache.get('k')).toBe(1);
    now += 2;
    expect(await cache.get('k')).toBe(2);
  });

  it('does not cache failures', async () => {
    let n = 0;
    const cache = new TtlCache<string, number>(
      async () => {
        n++;
        if (n === 1) throw new Error('number_not_found');
        return n;
      },
      { ttlMs: 60_000, maxEntries: 10, now: clock },
    );
    await expect(cache.get('k')).rejects.toThrow('number_not_found');
    expect(await cache.get('k')).toBe(2);
  });

  it('invalidates one key, all keys, or keys whose value matches', async () => {
    let n = 0;
    const cache = new TtlCache<string, { agent: string; n: number }>(
      async (k) => ({ agent: k.startsWith('a') ? 'agent_a' : 'agent_b', n: ++n }),
      { ttlMs: 60_000, maxEntries: 10, now: clock },
    );
    const a1 = await cache.get('a1');
    const b1 = await cache.get('b1');
    cache.invalidate('a1');
    expect(await cache.get('a1')).not.toEqual(a1);
    expect(await cache.get('b1')).toEqual(b1);
    cache.invalidateWhere((v) => v.agent === 'agent_b');
    expect(await cache.get('b1')).not.toEqual(b1);
    const before = cache.size;
    cache.invalidate();
    expect(before).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('never stores a value whose load started before an invalidation', async () => {
    const first = deferred<string>();
    const loads = [first.promise, Promise.resolve('fresh')];
    const cache = new TtlCache<string, string>(() => loads.shift()!, {
      ttlMs: 60_000,
      maxEntries: 10,
      now: clock,
    });
    const stale = cache.get('k');
    cache.invalidate('k');
    first.resolve('stale');
    expect(await stale).toBe('stale');
    expect(await cache.get('k')).toBe('fresh');
    expect(await cache.get('k')).toBe('fresh');
  });

  it('keeps at most maxEntries, evicting the least recently used', async () => {
    const load = jest.fn(async (k: string) => k.toUpperCase());
    const cache = new TtlCache<string, string>(load, { ttlMs: 60_000, maxEntries: 2, now: clock });
    await cache.get('a');
    await cache.get('b');
    await cache.get('a'); // a is now most recent
    await cache.get('c'); // evicts b
    expect(cache.size).toBe(2);
    load.mockClear();
    await cache.get('a');
    await cache.get('c');
    expect(load).not.toHaveBeenCalled();
    await cache.get('b');
    expect(load).toHaveBeenCalledWith('b');
  });
});
