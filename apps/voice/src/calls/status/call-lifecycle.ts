import { Injectable } from '@nestjs/common';
import {
  CallEndReason,
  CallEndedEvent,
  CallStartedData,
  CallStatus,
  CallStatusSource,
  CustomerEvents,
  Outbox,
  VoiceEvents,
} from '@nixflex/common';
import { EntityManager } from 'typeorm';
import { Call, CallTurn } from '../data/call.entities';
import { CallChanges, CallsRepository } from '../data/calls.repository';
import { callStatusRank, canCallTransition, isFinalCallStatus } from './call-status-rules';

export interface CallStatusUpdate {
  status: CallStatus;
  at: Date;
  source: CallStatusSource;
  /** Twilio's CallDuration (seconds), with the final status. */
  durationS?: number | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  /** Why it ended, when the one applying the status knows better than the status says. */
  endReason?: CallEndReason | null;
}

/** Longest error message kept on a call. */
const ERROR_MESSAGE_MAX = 500;

/**
 * The one place a call's status changes, and where a call ends. Callers hold
 * the row lock (CallsRepository.lock / lockBySid) inside `m`'s transaction.
 *
 * A status only moves forward by rank, and the first final status wins, so
 * late, repeated and out-of-order callbacks change nothing. When a call is
 * first answered (`in-progress`) the customer's `call.started` goes into the
 * outbox in the same transaction. When a call reaches a final status it gets
 * `ended_at`, its end reason, `call.ended.v1` through the outbox, and a
 * pending wrap-up (the summary, the post-call SMS and then the customer's
 * `call.ended`, see CallWrapup): exactly once per call, however often Twilio
 * repeats itself.
 */
@Injectable()
export class CallLifecycle {
  constructor(
    private readonly calls: CallsRepository,
    private readonly outbox: Outbox,
  ) {}

  /** Applies the update to `call` (mutated in place); false when it does not move the status. */
  async apply(m: EntityManager, call: Call, update: CallStatusUpdate): Promise<boolean> {
    if (!canCallTransition(call.status, update.status)) {
      // A final status repeated with the duration the first one lacked still tells us the duration.
      if (isFinalCallStatus(update.status) && call.durationS === null && update.durationS != null) {
        call.durationS = update.durationS;
        await this.calls.update(m, call.id, { durationS: update.durationS });
      }
      return false;
    }
    const columns: CallChanges = {
      status: update.status,
      statusRank: callStatusRank(update.status),
      statusChangedAt: update.at,
    };
    if (update.errorCode) {
      columns.errorCode = update.errorCode;
      columns.errorMessage = (update.errorMessage ?? null)?.slice(0, ERROR_MESSAGE_MAX) ?? null;
    }
    const answered = update.status === 'in-progress' && call.answeredAt === null;
    if (answered) columns.answeredAt = update.at;
    if (update.endReason && call.endReason === null) columns.endReason = update.endReason;
    if (isFinalCallStatus(update.status)) {
      columns.endedAt = update.at;
      columns.endReason = call.endReason ?? update.endReason ?? defaultEndReason(update.status);
      if (update.durationS != null) columns.durationS = update.durationS;
      if (call.dispatchState === 'in_flight' || call.dispatchState === 'pending') {
        columns.dispatchState = 'done';
      }
      // The customer's call.ended waits for the summary, the post-call SMS and the bookings.
      columns.wrapupState = 'pending';
      columns.wrapupDueAt = update.at;
    }
    Object.assign(call, columns);
    await this.calls.update(m, call.id, columns);
    await this.calls.addHistory(m, call.id, update.status, update.at, update.source);
    if (answered) await this.announceStart(m, call);
    if (isFinalCallStatus(update.status)) await this.announceEnd(m, call);
    return true;
  }

  /**
   * Records why a call is ending (and what went wrong, if anything) before
   * Twilio's final status arrives; the first reason recorded stays.
   */
  async noteEnding(
    m: EntityManager,
    call: Call,
    reason: CallEndReason,
    error?: { code: string; message: string },
  ): Promise<void> {
    const columns: CallChanges = {};
    if (call.endReason === null) columns.endReason = reason;
    if (error && call.errorCode === null) {
      columns.errorCode = error.code;
      columns.errorMessage = error.message.slice(0, ERROR_MESSAGE_MAX);
    }
    if (Object.keys(columns).length === 0) return;
    Object.assign(call, columns);
    await this.calls.update(m, call.id, columns);
  }

  private async announceStart(m: EntityManager, call: Call): Promise<void> {
    const started: CallStartedData = {
      call_id: call.id,
      direction: call.direction,
      phone_number: call.ourNumber,
      from_number: call.fromNumber,
      to: call.toNumber,
      agent_id: call.agentId,
      twilio_sid: call.twilioSid,
      metadata: call.metadata,
      started_at: (call.answeredAt ?? new Date()).toISOString(),
    };
    // The number's webhook (else its agent's) hears that the call was answered.
    await this.outbox.add(m, CustomerEvents.emit, {
      event_id: `evt_call_started_${call.id}`,
      account_id: call.accountId,
      phone_number: call.ourNumber,
      agent_id: call.agentId,
      type: 'call.started',
      occurred_at: started.started_at,
      data: { ...started },
    });
  }

  private async announceEnd(m: EntityManager, call: Call): Promise<void> {
    const turns = await this.calls.turns(call.id, m);
    await this.outbox.add(m, VoiceEvents.callEnded, callEndedEventOf(call, turns));
  }
}

/** A call that has ended, as `call.ended.v1` (and the base of the customer's `call.ended`) has it. */
export function callEndedEventOf(call: Call, turns: readonly CallTurn[]): CallEndedEvent {
  return {
    call_id: call.id,
    account_id: call.accountId,
    agent_id: call.agentId,
    direction: call.direction,
    phone_number: call.ourNumber,
    from_number: call.fromNumber,
    to: call.toNumber,
    twilio_sid: call.twilioSid,
    status: call.status,
    end_reason: call.endReason,
    duration_s: call.durationS,
    error_code: call.errorCode,
    metadata: call.metadata,
    transcript: turns.map((t) => ({
      role: t.role,
      text: t.text,
      at: t.at.toISOString(),
      interrupted: t.interrupted,
    })),
    ended_at: (call.endedAt ?? new Date()).toISOString(),
  };
}

/** The end reason a final status implies when nobody recorded a better one. */
export function defaultEndReason(status: CallStatus): CallEndReason {
  if (status === 'completed') return 'caller_hung_up';
  if (status === 'failed') return 'relay_error';
  return 'not_answered';
}
