import { Injectable, Logger } from '@nestjs/common';
import { CustomerEvents, LlmUsagePurpose, Outbox } from '@nixflex/common';
import { UsageTally } from '@nixflex/common/agent';
import { BudgetState, LlmUsageRecorder, UsageRecord } from '@nixflex/common/usage';
import type { EntityManager } from 'typeorm';
import type { Call } from '../data/call.entities';
import { CallsRepository, NewTurn } from '../data/calls.repository';

/** What a caller hears when the account's monthly token budget is used up. */
export const BUDGET_APOLOGY =
  "I'm sorry, I can't take your call right now. Please try again later or contact us another way. Goodbye.";

/**
 * A call's LLM tokens: each agent turn's, stored with the turn (one
 * transaction), the summary's beside it; and the budget check and event
 * when the account's monthly budget is used up.
 */
@Injectable()
export class CallUsage {
  private readonly logger = new Logger('CallUsage');

  constructor(
    private readonly calls: CallsRepository,
    private readonly usage: LlmUsageRecorder,
    private readonly outbox: Outbox,
  ) {}

  /** Where the call's account stands; null (go on) when it cannot be told. */
  async budget(call: Call): Promise<BudgetState | null> {
    try {
      return await this.usage.budget.state(call.accountId);
    } catch (err) {
      this.logger.warn(`${call.id}: token budget unknown: ${(err as Error).message}`);
      return null;
    }
  }

  /** The agent turn and what it cost, in one transaction; the tokens count once it commits. */
  async appendTurn(call: Call, turn: NewTurn, tally: UsageTally): Promise<void> {
    if (tally.empty) {
      await this.calls.appendTurn(turn);
      return;
    }
    const record = await this.calls.transaction(async (m) => {
      const seq = await this.calls.appendTurn(turn, m);
      const r = recordOf(call, `${call.id}:${seq}`, 'call_turn', tally);
      return (await this.usage.record(m, r)) ? r : null;
    });
    if (record) await this.usage.counted(record);
  }

  /** The call summary's tokens (once per call, whoever wraps it up). */
  async summarised(call: Call, tally: UsageTally): Promise<void> {
    if (tally.empty) return;
    const r = recordOf(call, `${call.id}:summary`, 'call_summary', tally);
    if (await this.calls.transaction((m) => this.usage.record(m, r))) await this.usage.counted(r);
  }

  /** Starts the relay of what committed transactions wrote to the outbox. */
  flush(): void {
    this.outbox.kick();
  }

  /** `llm.budget_exhausted`, in the transaction that records the call's end reason. */
  async announceExhausted(m: EntityManager, call: Call, state: BudgetState): Promise<void> {
    await this.outbox.add(m, CustomerEvents.emit, {
      event_id: `evt_budget_exhausted_${call.id}`,
      account_id: call.accountId,
      phone_number: call.ourNumber,
      agent_id: call.agentId,
      type: 'llm.budget_exhausted',
      occurred_at: new Date().toISOString(),
      data: {
        channel: 'voice',
        call_id: call.id,
        month: state.month,
        monthly_token_budget: state.budget,
        used: state.used,
      },
    });
  }
}

function recordOf(call: Call, sourceId: string, purpose: LlmUsagePurpose, tally: UsageTally): UsageRecord {
  return {
    sourceId,
    purpose,
    accountId: call.accountId,
    agentId: call.agentId,
    number: call.ourNumber,
    model: tally.model ?? '',
    promptTokens: tally.promptTokens,
    completionTokens: tally.completionTokens,
    occurredAt: new Date(),
  };
}
