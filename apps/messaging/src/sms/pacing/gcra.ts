import type Redis from 'ioredis';

/**
 * GCRA (the generic cell rate algorithm, "virtual scheduling") per sender:
 * the sender's key holds its theoretical arrival time (tat), the instant its
 * next slot starts. A send of cost C (segments / rate) takes the slot at
 * max(tat, now) and moves tat to that + C, so sends never start closer than
 * their cost apart: the rate holds over any window, with no burst.
 */
export interface TakeResult {
  /** False when the slot would start further ahead than allowed (nothing was taken). */
  granted: boolean;
  /** How far from now the slot starts (granted), or the sender's backlog (refused), in ms. */
  aheadMs: number;
}

export interface BackoffResult {
  /** The pause applied, ms. */
  delayMs: number;
  /** How far from now the sender's next slot now starts, ms. */
  aheadMs: number;
}

export type ThrottleKind = '429' | '21611';

export interface BackoffRule {
  /** 429: first pause, doubled per repeat while paused, up to `maxMs`. */
  baseMs: number;
  maxMs: number;
  /** 21611: a fixed pause. */
  queueFullMs: number;
}

export interface Gcra {
  /**
   * Takes the next slot of `key` for `costMs` of its time, unless that slot
   * starts more than `maxAheadMs` from now (then nothing changes).
   */
  take(key: string, costMs: number, maxAheadMs: number): Promise<TakeResult>;
  /** How far from now each key's next slot starts (0 when free now), ms. */
  peek(keys: string[]): Promise<number[]>;
  /** Pushes the key's next slot to at least now + the pause of `kind`. */
  backoff(key: string, kind: ThrottleKind, rule: BackoffRule): Promise<BackoffResult>;
  /** The time left of the key's pause (a backoff), 0 when not paused, ms. */
  pausedMs(key: string): Promise<number>;
}

/*
 * The scripts run atomically in Redis and read Redis's own clock (TIME), so
 * every replica books slots on one timeline whatever its own clock says.
 * Times are integer microseconds (below 2^53, exact in Lua's doubles),
 * written with %.0f (tostring would round them). Keys expire a minute after
 * their tat: an idle sender leaves nothing behind.
 */
const LUA_NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])`;

const TAKE = `${LUA_NOW}
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local ahead = tat - now
local maxAhead = tonumber(ARGV[2])
if maxAhead >= 0 and ahead > maxAhead then return {0, ahead} end
local nextTat = tat + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', nextTat), 'PX', math.ceil((nextTat - now) / 1000) + 60000)
return {1, ahead}`;

const PEEK = `${LUA_NOW}
local out = {}
for i, key in ipairs(KEYS) do
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat > now then out[i] = tat - now else out[i] = 0 end
end
return out`;

/* KEYS: tat, pause (a hash: n = the 429 streak, until = the pause's end). ARGV: kind, base us, max us,
 * queue-full us. A 429 while the sender is still paused by the previous one
 * (other sends of the same burst) is the same pause: no doubling. The streak
 * is forgotten a minute after its pause (plus the pause again) ends. */
const BACKOFF = `${LUA_NOW}
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local delay
local pauseEnd
if ARGV[1] == '429' then
  local base = tonumber(ARGV[2])
  local max = tonumber(ARGV[3])
  local n = tonumber(redis.call('HGET', KEYS[2], 'n') or '0')
  local untilUs = tonumber(redis.call('HGET', KEYS[2], 'until') or '0')
  if n > 0 and now < untilUs then
    delay = math.min(base * 2 ^ (n - 1), max)
    pauseEnd = untilUs
  else
    n = n + 1
    delay = math.min(base * 2 ^ (n - 1), max)
    pauseEnd = now + delay
    redis.call('HSET', KEYS[2], 'n', n, 'until', string.format('%.0f', pauseEnd))
    redis.call('PEXPIRE', KEYS[2], math.ceil(2 * delay / 1000) + 60000)
  end
else
  delay = tonumber(ARGV[4])
  pauseEnd = now + delay
  local untilUs = tonumber(redis.call('HGET', KEYS[2], 'until') or '0')
  if pauseEnd > untilUs then
    redis.call('HSET', KEYS[2], 'until', string.format('%.0f', pauseEnd))
    redis.call('PEXPIRE', KEYS[2], math.ceil(2 * delay / 1000) + 60000)
  end
end
if pauseEnd > tat then tat = pauseEnd end
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 60000)
return {delay, tat - now}`;

/* KEYS: pause. The time left of the sender's pause, 0 when not paused. */
const PAUSED = `${LUA_NOW}
local untilUs = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if untilUs > now then return untilUs - now end
return 0`;

const us = (ms: number) => Math.round(ms * 1000);
const ms = (us: number) => us / 1000;

type Scripted = Redis & {
  nixflexPaceTake(key: string, costUs: number, maxAheadUs: number): Promise<[number, number]>;
  nixflexPaceBackoff(
    key: string,
    streakKey: string,
    kind: string,
    baseUs: number,
    maxUs: number,
    queueFullUs: number,
  ): Promise<[number, number]>;
};

/** The limiter in Redis: shared by every replica that uses the same Redis and key prefix. */
export class RedisGcra implements Gcra {
  private readonly redis: Scripted;

  constructor(redis: Redis) {
    if (!('nixflexPaceTake' in redis)) {
      redis.defineCommand('nixflexPaceTake', { numberOfKeys: 1, lua: TAKE });
      redis.defineCommand('nixflexPaceBackoff', { numberOfKeys: 2, lua: BACKOFF });
    }
    this.redis = redis as Scripted;
  }

  async take(key: string, costMs: number, maxAheadMs: number): Promise<TakeResult> {
    const [granted, ahead] = await this.redis.nixflexPaceTake(key, us(costMs), us(maxAheadMs));
    return { granted: granted === 1, aheadMs: ms(ahead) };
  }

  async peek(keys: string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    const out = (await this.redis.eval(PEEK, keys.length, ...keys)) as number[];
    return out.map(ms);
  }

  async backoff(key: string, kind: ThrottleKind, rule: BackoffRule): Promise<BackoffResult> {
    const [delay, ahead] = await this.redis.nixflexPaceBackoff(
      key,
      `${key}:pause`,
      kind,
      us(rule.baseMs),
      us(rule.maxMs),
      us(rule.queueFullMs),
    );
    return { delayMs: ms(delay), aheadMs: ms(ahead) };
  }

  async pausedMs(key: string): Promise<number> {
    return ms((await this.redis.eval(PAUSED, 1, `${key}:pause`)) as number);
  }
}

/**
 * The same limiter in this process's memory: the fallback while Redis is
 * down. Exact for this replica only (N replicas may send N times the rate).
 */
export class LocalGcra implements Gcra {
  private readonly tats = new Map<string, number>();
  private readonly streaks = new Map<string, { n: number; until: number }>();
  private readonly pauses = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(key: string, costMs: number, maxAheadMs: number): Promise<TakeResult> {
    const now = this.now();
    const tat = Math.max(this.tats.get(key) ?? 0, now);
    const ahead = tat - now;
    if (maxAheadMs >= 0 && ahead > maxAheadMs) return { granted: false, aheadMs: ahead };
    this.tats.set(key, tat + costMs);
    this.sweep(now);
    return { granted: true, aheadMs: ahead };
  }

  async peek(keys: string[]): Promise<number[]> {
    const now = this.now();
    return keys.map((k) => Math.max(0, (this.tats.get(k) ?? 0) - now));
  }

  async backoff(key: string, kind: ThrottleKind, rule: BackoffRule): Promise<BackoffResult> {
    const now = this.now();
    const tat = Math.max(this.tats.get(key) ?? 0, now);
    let delay = rule.queueFullMs;
    let pauseEnd = now + delay;
    if (kind === '429') {
      const s = this.streaks.get(key);
      if (s && now < s.until) {
        delay = Math.min(rule.baseMs * 2 ** (s.n - 1), rule.maxMs);
        pauseEnd = s.until;
      } else {
        const lastDelay = s ? Math.min(rule.baseMs * 2 ** (s.n - 1), rule.maxMs) : 0;
        const n = s && now < s.until + lastDelay + 60_000 ? s.n + 1 : 1;
        delay = Math.min(rule.baseMs * 2 ** (n - 1), rule.maxMs);
        pauseEnd = now + delay;
        this.streaks.set(key, { n, until: pauseEnd });
      }
    }
    const next = Math.max(tat, pauseEnd);
    this.tats.set(key, next);
    this.pauses.set(key, Math.max(this.pauses.get(key) ?? 0, pauseEnd));
    return { delayMs: delay, aheadMs: next - now };
  }

  async pausedMs(key: string): Promise<number> {
    return Math.max(0, (this.pauses.get(key) ?? 0) - this.now());
  }

  /** Forgets senders idle for a minute (as the Redis keys expire). */
  private sweep(now: number): void {
    if (this.tats.size < 10_000) return;
    for (const [k, tat] of this.tats) if (tat + 60_000 < now) this.tats.delete(k);
    for (const [k, end] of this.pauses) if (end < now) this.pauses.delete(k);
  }
}
