import { Injectable, Logger } from '@nestjs/common';
import {
  AppError,
  BookingDto,
  CallEndedData,
  CallSmsDto,
  CustomerEvents,
  Outbox,
  ResolvedNumber,
  config,
} from '@nixflex/common';
import { AgentReplyGenerator, UsageTally } from '@nixflex/common/agent';
import { NumberResolver } from '@nixflex/common/numbers';
import { agentNumberFor } from '../answer/call-settings';
import { Call, CallTurn, SummaryState } from '../data/call.entities';
import { CallsRepository } from '../data/calls.repository';
import { WrapupClaim, WrapupRepository } from '../data/wrapup.repository';
import { callEndedEventOf } from '../status/call-lifecycle';
import { CallLinksClient } from './call-links.client';
import { postCallEligible, postCallText } from './post-call-sms';
import { CallUsage } from '../usage/call-usage';

/** Wait for messaging to accept the post-call SMS (a late acceptance is the same send: idempotent key). */
const SEND_TIMEOUT_MS = 5000;
/** Wait for a call's texts or bookings. */
const LIST_TIMEOUT_MS = 3000;
/** Retries after a failed run: 1 s, 2 s, 4 s ... at most this. */
const MAX_RETRY_DELAY_MS = 30_000;

/** The step could not be done now and should be tried again (unless the wrap-up is giving up). */
class Transient extends Error {}

/**
 * One ended call's wrap-up, run by WrapupPoller under a lease, in order:
 *
 * 1. the summary (a call with caller turns; the LLM's failure is recorded as
 *    `failed`, never retried, never blocking the rest);
 * 2. the post-call SMS, when the call is eligible and the number has a
 *    template, through `sms.call-send.v1` with the key `<call id>:post_call`
 *    (a retry after a crash gets the same message back, never a second one);
 * 3. the customer's `call.ended` with the summary, the call's texts and
 *    bookings, in the transaction that marks the wrap-up done.
 *
 * Each step's outcome is stored when it is known, so a run taken up again
 * after a crash or a retry skips what is done. A service that does not answer
 * puts the run off with a backoff; once VOICE_WRAPUP_GIVE_UP_MS has passed
 * since the first run, what is still unknown is sent as unknown (`null`) and
 * the wrap-up ends.
 */
@Injectable()
export class CallWrapup {
  private readonly logger = new Logger('CallWrapup');
  private readonly settings = config().voice;

  constructor(
    private readonly repo: WrapupRepository,
    private readonly calls: CallsRepository,
    private readonly numbers: NumberResolver,
    private readonly generator: AgentReplyGenerator,
    private readonly links: CallLinksClient,
    private readonly outbox: Outbox,
    private readonly usage: CallUsage,
  ) {}

  async run(claim: WrapupClaim): Promise<void> {
    const call = await this.repo.findById(claim.id);
    if (!call || call.wrapupState !== 'pending') return;
    const givingUp = Date.now() - claim.startedAt.getTime() >= this.settings.wrapupGiveUpMs;
    try {
      await this.wrapUp(call, givingUp);
    } catch (err) {
      const delay = Math.min(1000 * 2 ** Math.max(0, claim.attempts - 1), MAX_RETRY_DELAY_MS);
      const why = (err as Error).message;
      this.logger.warn(`${call.id}: wrap-up attempt ${claim.attempts} put off ${delay} ms: ${why}`);
      await this.repo.putOff(call.id, delay, why);
    }
  }

  private async wrapUp(call: Call, givingUp: boolean): Promise<void> {
    const turns = await this.calls.turns(call.id);
    const talked = turns.some((t) => t.role === 'caller' && t.text.trim() !== '');
    const eligible = postCallEligible(call, this.settings.postCallMinS);
    const summarising = talked && this.settings.callSummary;
    const needsNumber =
      (call.summaryState === null && summarising) || (call.postCallSmsState === null && eligible);
    const number = needsNumber ? await this.number(call, givingUp) : null;

    let summary = call.summary;
    if (call.summaryState === null) {
      const written = summarising ? await this.summarize(call, number, turns) : null;
      const state: SummaryState = !talked
        ? 'no_conversation'
        : !this.settings.callSummary
          ? 'disabled'
          : written
            ? 'written'
            : 'failed';
      await this.repo.recordSummary(call.id, written, state);
      summary = written;
    }

    let bookings: BookingDto[] | null | undefined;
    if (call.postCallSmsState === null) {
      if (!eligible) {
        await this.repo.recordPostCallSms(call.id, 'skipped_not_eligible');
      } else if (!number) {
        await this.repo.recordPostCallSms(call.id, 'failed', { error: 'the number could not be resolved' });
      } else if (!number.post_call_sms_template?.trim()) {
        await this.repo.recordPostCallSms(call.id, 'skipped_no_template');
      } else {
        bookings = await this.known(this.links.bookings(call.accountId, call.id, LIST_TIMEOUT_MS), givingUp);
        await this.sendPostCallSms(call, number, summary, bookings ?? [], givingUp);
      }
    }

    const [texts, booked] = await Promise.all([
      this.known(this.links.texts(call.accountId, call.id, LIST_TIMEOUT_MS), givingUp),
      bookings !== undefined
        ? bookings
        : this.known(this.links.bookings(call.accountId, call.id, LIST_TIMEOUT_MS), givingUp),
    ]);
    await this.announceEnd(call.id, texts, booked);
  }

  /** The call's number, fresh; null when it is gone (or, giving up, unreachable). */
  private async number(call: Call, givingUp: boolean): Promise<ResolvedNumber | null> {
    try {
      return await this.numbers.resolveFresh(call.ourNumber);
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        this.logger.warn(`${call.id}: ${call.ourNumber} no longer resolves (${err.code})`);
        return null;
      }
      if (givingUp) return null;
      throw new Transient(`numbers did not resolve ${call.ourNumber}: ${(err as Error).message}`);
    }
  }

  /** The LLM's summary; null (and a log line) when it fails, times out or writes nothing. */
  private async summarize(
    call: Call,
    number: ResolvedNumber | null,
    turns: CallTurn[],
  ): Promise<string | null> {
    if (!number) return null;
    const budget = await this.usage.budget(call);
    if (budget?.exhausted) {
      this.logger.warn(`${call.id}: no summary: the token budget for ${budget.month} is used up`);
      return null;
    }
    const tally = new UsageTally();
    try {
      return await this.generator.summarize(
        agentNumberFor(call, number),
        turns.map((t) => ({ from: t.role, text: t.text })),
        { timeoutMs: this.settings.summaryTimeoutMs, onUsage: tally.add },
      );
    } catch (err) {
      this.logger.warn(`${call.id}: no summary: ${(err as Error).message}`);
      return null;
    } finally {
      await this.usage.summarised(call, tally).catch((err: Error) => {
        this.logger.warn(`${call.id}: summary tokens not recorded: ${err.message}`);
      });
    }
  }

  private async sendPostCallSms(
    call: Call,
    number: ResolvedNumber,
    summary: string | null,
    bookings: readonly BookingDto[],
    givingUp: boolean,
  ): Promise<void> {
    const message = postCallText(number, call, summary, bookings);
    if (message === '') return this.repo.recordPostCallSms(call.id, 'skipped_no_template');
    try {
      const accepted = await this.links.sendCallSms(
        {
          account_id: call.accountId,
          agent_id: number.agent_id,
          call_id: call.id,
          from_number: call.ourNumber,
          to: call.otherParty,
          message,
          source: 'post_call',
          idempotency_key: `${call.id}:post_call`,
        },
        SEND_TIMEOUT_MS,
      );
      await this.repo.recordPostCallSms(call.id, 'sent', { messageId: accepted.message_id });
    } catch (err) {
      if (err instanceof AppError && err.code === 'recipient_opted_out') {
        return this.repo.recordPostCallSms(call.id, 'skipped_opted_out');
      }
      // A copy of this request is still being handled (one queued while messaging was down): ask again later.
      const stillHandled = err instanceof AppError && err.code === 'idempotency_key_in_use';
      if (err instanceof AppError && err.status < 500 && !stillHandled) {
        this.logger.warn(`${call.id}: post-call SMS refused: ${err.code}`);
        return this.repo.recordPostCallSms(call.id, 'failed', { error: `${err.code}: ${err.message}` });
      }
      if (givingUp) {
        return this.repo.recordPostCallSms(call.id, 'failed', {
          error: `not confirmed in time: ${(err as Error).message}`,
        });
      }
      throw new Transient(`post-call SMS not confirmed: ${(err as Error).message}`);
    }
  }

  /**
   * What another service said, or null (unknown) when it refused the
   * question (asking again will not help) or, giving up, did not answer.
   */
  private async known<T>(asked: Promise<T>, givingUp: boolean): Promise<T | null> {
    try {
      return await asked;
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        this.logger.warn(`a call's texts or bookings were refused: ${err.code}: ${err.message}`);
        return null;
      }
      if (givingUp) return null;
      throw new Transient((err as Error).message);
    }
  }

  /** The customer's `call.ended`, once: the wrap-up is marked done in the same transaction. */
  private async announceEnd(
    callId: string,
    sms: CallSmsDto[] | null,
    bookings: BookingDto[] | null,
  ): Promise<void> {
    const emitted = await this.repo.transaction(async (m) => {
      const call = await this.repo.lockPending(m, callId);
      if (!call) return false;
      const turns = await this.calls.turns(call.id, m);
      const data: CallEndedData = {
        ...callEndedEventOf(call, turns),
        summary: call.summary,
        post_call_sms: call.postCallSmsState,
        sms,
        bookings,
      };
      // The number's webhook (else its agent's) gets the call data.
      await this.outbox.add(m, CustomerEvents.emit, {
        event_id: `evt_call_ended_${call.id}`,
        account_id: call.accountId,
        phone_number: call.ourNumber,
        agent_id: call.agentId,
        type: 'call.ended',
        occurred_at: data.ended_at,
        data: { ...data },
      });
      await this.repo.markDone(m, call.id);
      return true;
    });
    if (emitted) this.outbox.kick();
  }
}
