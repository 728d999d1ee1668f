import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { RedisSettings, loadRedisSettings } from './redis.settings';

/** Injection token of the process's Redis client (ioredis). */
export const REDIS = 'NIXFLEX_REDIS';
export const REDIS_SETTINGS = 'NIXFLEX_REDIS_SETTINGS';

/**
 * A client that never stops the service: it connects in the background and
 * reconnects forever (at most every 2 s); while it is down every command
 * fails at once (no offline queue, one try per request) instead of waiting,
 * so callers fall back right away. Errors are logged once per outage.
 */
export function createRedisClient(settings: RedisSettings, logger = new Logger('Redis')): Redis {
  const client = new Redis(settings.url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn(`Redis unavailable (${redact(settings.url)}): ${err.message}`);
  });
  client.on('ready', () => {
    if (down) logger.log('Redis reachable again');
    down = false;
  });
  return client;
}

/** The URL without its password, for logs. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'REDIS_URL';
  }
}

/** Redis's state for a health report: `up` when it answers PING within a second. */
@Injectable()
export class RedisHealth {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async check(): Promise<'up' | 'down'> {
    if (this.redis.status !== 'ready') return 'down';
    try {
      const pong = await Promise.race([
        this.redis.ping(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000).unref()),
      ]);
      return pong === 'PONG' ? 'up' : 'down';
    } catch {
      return 'down';
    }
  }
}

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * The process's one Redis client (`@Inject(REDIS)`), its settings
 * (`REDIS_SETTINGS`) and `RedisHealth`. Global: import it once in the app
 * module. The client quits on shutdown.
 */
@Global()
@Module({
  providers: [
    { provide: REDIS_SETTINGS, useFactory: () => loadRedisSettings() },
    {
      provide: REDIS,
      useFactory: (s: RedisSettings) => createRedisClient(s),
      inject: [REDIS_SETTINGS],
    },
    RedisHealth,
    RedisCloser,
  ],
  exports: [REDIS, REDIS_SETTINGS, RedisHealth],
})
export class RedisModule {}
