import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppError, BrokerClient, ResolvedNumber } from '@nixflex/common';
import {
  AgentReplyGenerator,
  AgentReplyRequest,
  AgentTurn,
  UsageTally,
  llmFailureText,
} from '@nixflex/common/agent';
import { calendarTools } from '@nixflex/common/calendar-tools';
import { smsReplyGuarded } from '@nixflex/common/metrics';
import { CallerHistoryClient } from '@nixflex/common/history';
import { BudgetState, LlmUsageRecorder, UsageRecord } from '@nixflex/common/usage';
import { SmsSendService } from '../sms/accept/send.service';
import { ConversationRepository } from './conversation.repository';
import { GuardVerdict, ReplyGuards } from './guards/reply-guards';
import { InboundEvents } from './inbound-events';
import { InboundRepliesRepository } from './inbound-replies.repository';
import { clampReply, helpText } from './keywords';
import { numberedCalls } from './numbered-calls';

/** Earlier messages of the conversation the agent is shown. */
const HISTORY_LIMIT = 20;
/** Earlier calls with the caller the agent is shown (asked of voice, CALLER_HISTORY_TIMEOUT_MS at most). */
const CALLS_LIMIT = 5;
/** A reply claim older than this with no outcome is taken over by a redelivery. */
const CLAIM_LEASE_SECONDS = 120;
const REASON_MAX = 500;
/**
 * How long one calendar tool may wait for numbers (which gives Cal.com 4 s,
 * CALCOM_TIMEOUT_MS's default); the whole tool loop is bounded anyway by
 * AGENT_TOOL_MAX_MS. No answer = a result the agent can say, never no reply.
 */
const CALENDAR_TOOL_TIMEOUT_MS = 5000;

/** A stored inbound message whose reply is registered and still to be sent. */
export interface OwedReply {
  inboundId: string;
  number: ResolvedNumber;
  /** The sender, who gets the reply. */
  from: string;
  body: string;
  kind: 'agent' | 'help';
}

/** How an owed reply ended. */
export type ReplyOutcome =
  | { state: 'sent'; reply: OwedReply; replyId: string; text: string }
  | { state: 'failed' | 'skipped'; reply: OwedReply; code: string; reason: string; guard?: GuardVerdict };

/**
 * Sends the reply an inbound message is owed: claims it (one consumer wins;
 * its message id was fixed when it was registered), writes it (HELP text or
 * the agent's answer from the LLM), sends it through the normal send path,
 * and records the outcome.
 */
@Injectable()
export class InboundReplyService implements OnModuleInit {
  private readonly logger = new Logger('InboundSms');

  constructor(
    private readonly agent: AgentReplyGenerator,
    private readonly conversation: ConversationRepository,
    private readonly replies: InboundRepliesRepository,
    private readonly events: InboundEvents,
    private readonly sender: SmsSendService,
    private readonly callerHistory: CallerHistoryClient,
    private readonly broker: BrokerClient,
    private readonly usage: LlmUsageRecorder,
    private readonly guards: ReplyGuards,
  ) {}

  onModuleInit(): void {
    if (!this.agent.configured)
      this.logger.warn(
        'LLM_BASE_URL is not set: inbound SMS are stored but not answered (llm_not_configured)',
      );
  }

  async reply(owed: OwedReply): Promise<void> {
    const replyId = await this.replies.claim(owed.inboundId, CLAIM_LEASE_SECONDS);
    if (!replyId) return;
    const tally = new UsageTally();
    let exhausted: BudgetState | undefined;
    const fail = (state: 'failed' | 'skipped', code: string, reason: string) =>
      this.finish({ state, reply: owed, code, reason: reason.slice(0, REASON_MAX) }, tally, exhausted);

    let text: string;
    if (owed.kind === 'help') {
      text = helpText(owed.number);
    } else {
      if (!this.agent.configured) return fail('skipped', 'llm_not_configured', 'No LLM is configured');
      const budget = await this.usage.budget.state(owed.number.account_id);
      if (budget.exhausted) {
        exhausted = budget;
        const why = `The account's LLM token budget for ${budget.month} (${budget.budget} tokens) is used up`;
        return fail('skipped', 'token_budget_exhausted', why);
      }
      const guard = await this.guards.check(owed.inboundId);
      if (guard) {
        const { code, reason } = guard;
        return this.finish({ state: 'skipped', reply: owed, code, reason, guard }, tally);
      }
      try {
        text = await this.agentText(owed, tally);
      } catch (err) {
        // The provider's text (`LLM error 500: ...`) or a raw socket error goes to the log only;
        // the inbound message (tenant-visible) gets our wording with the HTTP status.
        const detail = (err instanceof Error ? err.message : String(err)).slice(0, REASON_MAX);
        this.logger.warn(`LLM reply for ${owed.inboundId} failed: ${detail}`);
        return fail('failed', 'llm_failed', llmFailureText(err));
      }
      if (!text) return fail('failed', 'llm_failed', 'The LLM returned an empty reply');
    }

    const { number } = owed;
    try {
      await this.sender.send({
        account_id: number.account_id,
        agent_id: number.agent_id,
        from_number: number.phone_number,
        to: owed.from,
        message: text,
        message_id: replyId,
        in_reply_to: owed.inboundId,
        source: 'agent_reply',
      });
    } catch (err) {
      // The reply's id is fixed: a primary-key clash means an earlier attempt stored (and so sends) it.
      if (!isUniqueViolation(err)) {
        if (err instanceof AppError) return fail('failed', err.code, err.message);
        throw err;
      }
    }
    await this.finish({ state: 'sent', reply: owed, replyId, text }, tally);
  }

  /**
   * The agent's answer: the conversation so far as turns, then the new
   * message, with the caller's earlier calls in the system prompt; clamped
   * for SMS. The calls are asked of voice while the thread is read, so they
   * cost no time unless voice is slow, and then at most its 400 ms timeout;
   * voice down or failing = no calls, the reply as it always was.
   */
  private async agentText(owed: OwedReply, tally: UsageTally): Promise<string> {
    const { number } = owed;
    const [history, calls] = await Promise.all([
      this.conversation.history({
        accountId: number.account_id,
        ourNumber: number.phone_number,
        otherParty: owed.from,
        excludeId: owed.inboundId,
        limit: HISTORY_LIMIT,
      }),
      this.callerHistory.calls({
        account_id: number.account_id,
        our_number: number.phone_number,
        other_party: owed.from,
        limit: CALLS_LIMIT,
      }),
    ]);
    const turns: AgentTurn[] = [
      ...history.map((h): AgentTurn => ({
        from: h.direction === 'inbound' ? 'caller' : 'agent',
        text: h.body,
      })),
      { from: 'caller', text: owed.body },
    ];
    const req: AgentReplyRequest = {
      number,
      channel: 'sms',
      turns,
      callerHistory: { calls },
      onUsage: tally.add,
    };
    const calendar = number.calendar;
    if (!calendar) return clampReply(await this.agent.reply(req));
    // The number has a calendar: the agent may look up slots and book, for
    // the texter, in answer to this message. The booking key comes from this
    // inbound message and the call's place in this reply (not the model's
    // random tool-call id), so a reply redone after a crash asks numbers
    // again under the same key and books once.
    const tools = numberedCalls(
      calendarTools(
        this.broker,
        {
          account_id: number.account_id,
          phone_number: number.phone_number,
          contact: owed.from,
          time_zone: calendar.time_zone,
          source: { message_id: owed.inboundId },
          keyPrefix: `sms:${owed.inboundId}`,
        },
        { timeoutMs: CALENDAR_TOOL_TIMEOUT_MS },
      ),
    );
    const { text } = await this.agent.replyWithTools({
      ...req,
      tools,
      actions: { calendar: { timeZone: calendar.time_zone, now: new Date() } },
    });
    return clampReply(text);
  }

  /**
   * Records the outcome; a failure or skip is shown on the inbound message
   * (error_code/error_message). The tokens the reply cost are recorded in the
   * same transaction, whatever the outcome, and counted once it commits.
   */
  private async finish(outcome: ReplyOutcome, tally: UsageTally, exhausted?: BudgetState): Promise<void> {
    const { inboundId, number } = outcome.reply;
    const usage = tally.empty ? null : usageOf(outcome.reply, tally);
    let fresh = false;
    await this.replies.transaction(async (m) => {
      if (usage) fresh = await this.usage.record(m, usage);
      if (exhausted) {
        await this.events.budgetExhausted(m, number, {
          message_id: inboundId,
          month: exhausted.month,
          monthly_token_budget: exhausted.budget,
          used: exhausted.used,
        });
      }
      if (outcome.state === 'sent') {
        await this.events.replied(m, number, {
          message_id: outcome.replyId,
          in_reply_to: inboundId,
          from: number.phone_number,
          to: outcome.reply.from,
          body: outcome.text,
        });
        await this.replies.settle(m, inboundId, 'sent', null);
      } else {
        await this.replies.settle(m, inboundId, outcome.state, outcome.reason);
        await this.conversation.recordReplyProblem(m, inboundId, outcome.code, outcome.reason);
        if (outcome.guard) await this.guards.announce(m, outcome.reply, outcome.guard);
      }
    });
    this.events.flush();
    if (outcome.state !== 'sent' && outcome.guard) smsReplyGuarded.inc({ code: outcome.guard.code });
    if (usage && fresh) await this.usage.counted(usage);
  }
}

/** The reply's usage row: one per inbound message answered. */
function usageOf(owed: OwedReply, tally: UsageTally): UsageRecord {
  return {
    sourceId: owed.inboundId,
    purpose: 'sms_reply',
    accountId: owed.number.account_id,
    agentId: owed.number.agent_id,
    number: owed.number.phone_number,
    model: tally.model ?? '',
    promptTokens: tally.promptTokens,
    completionTokens: tally.completionTokens,
    occurredAt: new Date(),
  };
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } } | null;
  return typeof e === 'object' && e !== null && (e.code === '23505' || e.driverError?.code === '23505');
}
