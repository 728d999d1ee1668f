import { Inject, Injectable, Logger } from '@nestjs/common';
import { config } from '@nixflex/common';
import { REDIS, REDIS_SETTINGS, RedisSettings, WindowLimiter } from '@nixflex/common/redis';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import type { Principal } from '../auth/api-keys.service';
import { AccountRateLimits, QuotaCache } from './account-rate-limits';
import { NamedCount } from './rate-limit-headers';

/**
 * The API's two limits: per API key and per account (all its keys together),
 * each a fixed window in Redis shared by every gateway replica. A request
 * counts against both and the tighter refuses; a request its key refuses is
 * not counted against the account, so one runaway key that keeps retrying
 * does not use up the quota of the account's other keys.
 */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger('RateLimit');
  private readonly windows: WindowLimiter;
  private readonly quotaCache: QuotaCache;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(REDIS_SETTINGS) redisSettings: RedisSettings,
    ds: DataSource,
  ) {
    const settings = config().rateLimits;
    this.windows = new WindowLimiter(
      redis,
      `${redisSettings.keyPrefix}rl:api`,
      settings.windowS,
      this.logger,
    );
    this.quotaCache = new QuotaCache(new AccountRateLimits(ds, settings), settings, (err) =>
      this.logger.warn(`rate limit overrides unreadable, last known limits apply: ${err.message}`),
    );
  }

  async count(p: Principal): Promise<NamedCount[]> {
    const quotas = await this.quotaCache.quotas(p.accountId);
    const key = await this.windows.consume(`key:${p.keyId}`, quotas.key);
    const accountKey = `account:${p.accountId}`;
    const account = key.allowed
      ? await this.windows.consume(accountKey, quotas.account)
      : await this.windows.peek(accountKey, quotas.account);
    return [
      { name: 'key', count: key },
      { name: 'account', count: account },
    ];
  }
}
