/**
 * A small read-through cache: entries live `ttlMs`, at most `maxEntries` are
 * kept (least recently used evicted first), concurrent misses for one key
 * share one load, and a load that started before an invalidation never
 * repopulates the cache with what it read (it may be stale). Failed loads are
 * not cached.
 */
export interface TtlCacheOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export class TtlCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly inflight = new Map<K, Promise<V>>();
  /** Bumped by every invalidation; a load stores its result only if it is unchanged. */
  private generation = 0;
  private readonly now: () => number;

  constructor(
    private readonly load: (key: K) => Promise<V>,
    private readonly opts: TtlCacheOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): Promise<V> {
    const hit = this.entries.get(key);
    if (hit) {
      if (hit.expiresAt > this.now()) {
        // Re-insert to mark it most recently used.
        this.entries.delete(key);
        this.entries.set(key, hit);
        return Promise.resolve(hit.value);
      }
      this.entries.delete(key);
    }
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const startedAt = this.generation;
    const loading = this.load(key).then(
      (value) => {
        if (this.inflight.get(key) === loading) this.inflight.delete(key);
        if (this.generation === startedAt) this.store(key, value);
        return value;
      },
      (err: unknown) => {
        if (this.inflight.get(key) === loading) this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, loading);
    return loading;
  }

  /** Forgets one key, or everything without an argument. */
  invalidate(key?: K): void {
    this.generation++;
    if (key === undefined) {
      this.entries.clear();
      this.inflight.clear();
    } else {
      this.entries.delete(key);
      this.inflight.delete(key);
    }
  }

  /** Forgets every cached entry whose value matches (e.g. all numbers of one agent). */
  invalidateWhere(match: (value: V, key: K) => boolean): void {
    this.generation++;
    for (const [key, entry] of this.entries) if (match(entry.value, key)) this.entries.delete(key);
    // A load in flight may belong to the matching set; its callers get its
    // answer but the next caller loads afresh.
    this.inflight.clear();
  }

  private store(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.opts.ttlMs });
    while (this.entries.size > this.opts.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}
