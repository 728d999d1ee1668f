import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { UsageChannel } from '../contracts';
import { LlmUsageStore } from './usage-store';

/** The budget month (UTC) an instant falls in: `YYYY-MM` and its bounds. */
export interface BudgetMonth {
  month: string;
  start: Date;
  end: Date;
}

export function budgetMonth(at: Date): BudgetMonth {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const end = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  return { month: start.toISOString().slice(0, 7), start, end };
}

/** Where an account stands against its budget this month. */
export interface BudgetState {
  month: string;
  /** null = unlimited. */
  budget: number | null;
  used: number;
  exhausted: boolean;
}

/** A counter key outlives its month by this much, then Redis forgets it. */
const KEY_GRACE_S = 7 * 86_400;
/** INCRBY only a counter that exists: a lost one is rebuilt from the table, never restarted at 0. */
const INCR_IF_EXISTS = `if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end return false`;

export interface TokenBudgetDeps {
  redis: Redis;
  /** REDIS_KEY_PREFIX. */
  keyPrefix: string;
  /** The channel this service records. */
  channel: UsageChannel;
  store: LlmUsageStore;
  /** LLM_MONTHLY_TOKEN_BUDGET (0 = unlimited). */
  defaultBudget: number;
  now: () => Date;
  /** The other service's tokens this month, asked over the broker when its counter is missing. */
  otherMonthTokens: (accountId: string, month: BudgetMonth) => Promise<number>;
}

/**
 * An account's monthly LLM token budget, held across services and replicas
 * by one Redis counter per account, month and channel (`llm-tokens:<account>:
 * <YYYY-MM>:sms|voice`), each written only by its channel's service, which
 * adds every recorded usage (INCRBY) and rebuilds it from its own table when
 * Redis lost it. A check reads both counters; a missing one of the other
 * channel is asked of its service. Redis down: every check reads the tables.
 */
export class TokenBudget {
  private readonly logger = new Logger('TokenBudget');

  constructor(private readonly d: TokenBudgetDeps) {}

  /** The account's budget (its own setting, else the default); null = unlimited. */
  async budgetOf(accountId: string): Promise<number | null> {
    const own = await this.d.store.budgetOverride(accountId);
    const budget = own ?? this.d.defaultBudget;
    return budget === 0 ? null : budget;
  }

  async state(accountId: string): Promise<BudgetState> {
    const month = budgetMonth(this.d.now());
    const budget = await this.budgetOf(accountId);
    if (budget === null) return { month: month.month, budget, used: 0, exhausted: false };
    // Independent reads (two Redis GETs, usually): at once, one round trip on the reply's path.
    const [own, other] = await Promise.all([
      this.ownTokens(accountId, month),
      this.otherTokens(accountId, month),
    ]);
    const used = own + other;
    return { month: month.month, budget, used, exhausted: used >= budget };
  }

  /** After a usage row committed: the channel's counter grows by its tokens (rebuilt from the table if lost). */
  async counted(accountId: string, tokens: number, at: Date): Promise<void> {
    const month = budgetMonth(at);
    try {
      const after = await this.d.redis.eval(
        INCR_IF_EXISTS,
        1,
        this.key(accountId, month.month, this.d.channel),
        tokens,
      );
      if (after === null) await this.rebuild(accountId, month);
    } catch (err) {
      this.logger.warn(`token counter of ${accountId} not updated: ${(err as Error).message}`);
    }
  }

  /** This channel's tokens this month: the counter, else the table (and the counter set from it). */
  async ownTokens(accountId: string, month: BudgetMonth): Promise<number> {
    try {
      const v = await this.d.redis.get(this.key(accountId, month.month, this.d.channel));
      if (v !== null) return Number(v);
      return await this.rebuild(accountId, month);
    } catch {
      return this.d.store.total(accountId, month.start, month.end);
    }
  }

  private async otherTokens(accountId: string, month: BudgetMonth): Promise<number> {
    const other: UsageChannel = this.d.channel === 'sms' ? 'voice' : 'sms';
    try {
      const v = await this.d.redis.get(this.key(accountId, month.month, other));
      if (v !== null) return Number(v);
    } catch {
      // Redis down: the other service answers from its table.
    }
    try {
      return await this.d.otherMonthTokens(accountId, month);
    } catch (err) {
      // Fail open on the other channel only: this channel's tokens still count.
      this.logger.warn(`${other} usage of ${accountId} unknown: ${(err as Error).message}`);
      return 0;
    }
  }

  /**
   * Sets the counter from the table, unless another replica set it first.
   * The table already holds every committed row of the month; a row
   * committed between the SUM and the SET by another replica is then missed
   * (until the month's next rebuild): the budget is a soft limit.
   */
  private async rebuild(accountId: string, month: BudgetMonth): Promise<number> {
    const total = await this.d.store.total(accountId, month.start, month.end);
    const key = this.key(accountId, month.month, this.d.channel);
    const expireAt = Math.floor(month.end.getTime() / 1000) + KEY_GRACE_S;
    const set = await this.d.redis.set(key, total, 'EXAT', expireAt, 'NX');
    if (set === 'OK') return total;
    const v = await this.d.redis.get(key);
    return v === null ? total : Number(v);
  }

  private key(accountId: string, month: string, channel: UsageChannel): string {
    return `${this.d.keyPrefix}llm-tokens:${accountId}:${month}:${channel}`;
  }
}
