import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/** One request counted against one quota. */
export interface WindowCount {
  allowed: boolean;
  /** The quota of the window (requests). */
  quota: number;
  windowS: number;
  /** Requests still allowed in this window (0 once refused). */
  remaining: number;
  /** Milliseconds until the window ends and the quota is whole again. */
  resetMs: number;
  /** Requests counted in this window, this one included (above `quota` once refused). */
  consumed: number;
}

/**
 * Fixed-window counters in Redis (rate-limiter-flexible's RateLimiterRedis on
 * the process's shared ioredis client), so every replica counts against the
 * same quota. The quota may differ per call (an account's override): counters
 * hold only how many requests a window saw, so a new quota applies to the
 * window already running.
 *
 * Redis down (the client is not ready, or a command fails): each process
 * counts on its own in memory (the library's insurance limiter) with the same
 * quotas, so requests go on being limited, per replica, instead of being
 * refused or let through unlimited. Logged once per outage.
 */
export class WindowLimiter {
  private readonly limiters = new Map<number, RateLimiterRedis>();
  private degraded = false;

  constructor(
    private readonly redis: Redis,
    /** Start of every key, e.g. `nixflex:rl:api` (REDIS_KEY_PREFIX + the limit's name). */
    private readonly keyPrefix: string,
    readonly windowS: number,
    private readonly logger: Logger,
  ) {}

  async consume(key: string, quota: number): Promise<WindowCount> {
    this.noteRedisState();
    let res: RateLimiterRes;
    let allowed = true;
    try {
      res = await this.limiter(quota).consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      res = err;
      allowed = false;
    }
    return {
      allowed,
      quota,
      windowS: this.windowS,
      remaining: allowed ? Math.max(0, res.remainingPoints) : 0,
      resetMs: Math.max(0, res.msBeforeNext),
      consumed: res.consumedPoints,
    };
  }

  /** Where `key` stands without counting a request (a window not started: the whole quota, reset 0). */
  async peek(key: string, quota: number): Promise<WindowCount> {
    this.noteRedisState();
    const res = await this.limiter(quota).get(key);
    const consumed = res?.consumedPoints ?? 0;
    return {
      allowed: consumed < quota,
      quota,
      windowS: this.windowS,
      remaining: Math.max(0, quota - consumed),
      resetMs: Math.max(0, res?.msBeforeNext ?? 0),
      consumed,
    };
  }

  private limiter(quota: number): RateLimiterRedis {
    let limiter = this.limiters.get(quota);
    if (!limiter) {
      // A handful of distinct quotas (the default and the overrides in use); bounded anyway.
      if (this.limiters.size >= 1000) this.limiters.clear();
      limiter = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: this.keyPrefix,
        points: quota,
        duration: this.windowS,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({
          keyPrefix: this.keyPrefix,
          points: quota,
          duration: this.windowS,
        }),
      });
      this.limiters.set(quota, limiter);
    }
    return limiter;
  }

  private noteRedisState(): void {
    const ready = this.redis.status === 'ready';
    if (!ready && !this.degraded) {
      this.degraded = true;
      this.logger.warn(
        `Redis is unreachable: ${this.keyPrefix} limits are counted per process until it answers`,
      );
    } else if (ready && this.degraded) {
      this.degraded = false;
      this.logger.log(`Redis is back: ${this.keyPrefix} limits are shared across replicas again`);
    }
  }
}
