import { Controller, DynamicModule, Injectable, Module, Type } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type Redis from 'ioredis';
import { DataSource, EntityManager } from 'typeorm';
import { BrokerClient } from '../broker';
import type { ServiceName } from '../broker/topology';
import { Clock, systemClock } from '../clock';
import { config } from '../config';
import {
  TokenBudgetChangedEvent,
  UsageChannel,
  UsageCommand,
  UsageCommands,
  UsageEvents,
  UsageSlice,
} from '../contracts';
import { schemaFor } from '../db/data-source';
import { REDIS, REDIS_SETTINGS } from '../redis/redis.module';
import type { RedisSettings } from '../redis/redis.settings';
import { BudgetMonth, TokenBudget } from './token-budget';
import { LlmUsageStore, UsageRecord } from './usage-store';

/** How long a budget check waits for the other service's month total (only when its counter is missing). */
const OTHER_CHANNEL_TIMEOUT_MS = 1000;

/**
 * What a service does with the tokens its model calls cost: records them
 * (in the caller's transaction, beside the reply or turn), then counts them
 * against the account's monthly budget once committed.
 */
@Injectable()
export class LlmUsageRecorder {
  constructor(
    readonly store: LlmUsageStore,
    readonly budget: TokenBudget,
  ) {}

  /** In the transaction of the reply or turn; true when the row is new (then call `counted` after commit). */
  record(m: EntityManager, r: UsageRecord): Promise<boolean> {
    return this.store.record(m, r);
  }

  /** After commit: the account's counter for this month grows by the row's tokens. */
  counted(r: UsageRecord): Promise<void> {
    return this.budget.counted(r.accountId, r.promptTokens + r.completionTokens, r.occurredAt);
  }
}

/** A usage slice of one service for the gateway, and its copy of each account's budget setting. */
function usageHandler(pattern: string): Type {
  @Controller()
  class UsageHandler {
    constructor(
      private readonly store: LlmUsageStore,
      private readonly budget: TokenBudget,
    ) {}

    @MessagePattern(pattern)
    async usage(@Payload() cmd: UsageCommand): Promise<UsageSlice> {
      const month: BudgetMonth = {
        month: cmd.month_start.slice(0, 7),
        start: new Date(cmd.month_start),
        end: new Date(cmd.month_end),
      };
      const [rows, monthTokens] = await Promise.all([
        this.store.byDay(cmd),
        this.budget.ownTokens(cmd.account_id, month),
      ]);
      return { rows, month_tokens: monthTokens };
    }

    /** Idempotent and order-proof: the row keeps the highest settings version seen. */
    @EventPattern(UsageEvents.tokenBudgetChanged)
    async onBudgetChanged(@Payload() event: TokenBudgetChangedEvent): Promise<void> {
      const b = event?.monthly_token_budget;
      if (
        typeof event?.account_id !== 'string' ||
        !Number.isInteger(event.version) ||
        !(b === null || (Number.isSafeInteger(b) && b >= 0))
      ) {
        return;
      }
      await this.store.applyBudgetIfNewer(event.account_id, b, event.version);
    }
  }
  return UsageHandler;
}

/**
 * LLM usage and the token budget in messaging (`channel` sms) or voice
 * (`voice`): its tables, the budget, the recorder, and the handler of the
 * gateway's `*.usage.v1` and `accounts.token-budget-changed.v1`. Needs
 * CoreModule and RedisModule in the same application.
 */
@Module({})
export class LlmUsageModule {
  static forService(service: Extract<ServiceName, 'messaging' | 'voice'>): DynamicModule {
    const channel: UsageChannel = service === 'messaging' ? 'sms' : 'voice';
    const own = service === 'messaging' ? UsageCommands.messaging : UsageCommands.voice;
    const other = service === 'messaging' ? UsageCommands.voice : UsageCommands.messaging;
    return {
      module: LlmUsageModule,
      // Imported once in the app module; the reply and call code inject it.
      global: true,
      controllers: [usageHandler(own)],
      providers: [
        {
          provide: LlmUsageStore,
          useFactory: (ds: DataSource) => new LlmUsageStore(ds, schemaFor(service)),
          inject: [DataSource],
        },
        { provide: Clock, useFactory: () => systemClock() },
        {
          provide: TokenBudget,
          useFactory: (
            redis: Redis,
            rs: RedisSettings,
            store: LlmUsageStore,
            broker: BrokerClient,
            clock: Clock,
          ) =>
            new TokenBudget({
              redis,
              keyPrefix: rs.keyPrefix,
              channel,
              store,
              defaultBudget: config().llmMonthlyTokenBudget,
              now: () => clock.now(),
              otherMonthTokens: async (accountId: string, month: BudgetMonth) => {
                const slice = await broker.request(
                  other,
                  {
                    account_id: accountId,
                    from: month.start.toISOString(),
                    to_exclusive: month.start.toISOString(),
                    month_start: month.start.toISOString(),
                    month_end: month.end.toISOString(),
                  },
                  { timeoutMs: OTHER_CHANNEL_TIMEOUT_MS, expireWithTimeout: true },
                );
                return slice.month_tokens;
              },
            }),
          inject: [REDIS, REDIS_SETTINGS, LlmUsageStore, BrokerClient, Clock],
        },
        LlmUsageRecorder,
      ],
      exports: [LlmUsageRecorder, TokenBudget],
    };
  }
}
