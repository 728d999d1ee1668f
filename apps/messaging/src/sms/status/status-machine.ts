import { Injectable } from '@nestjs/common';
import { CustomerEvents, MessagingEvents, Outbox, countSmsStatus } from '@nixflex/common';
import { SmsStatus, twilioErrorMeaning } from '@nixflex/common/sms';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { OptOutsRepository } from '../../opt-outs/opt-outs.repository';
import { CallbackFacts, HistorySource, MessagesRepository, SmsMessage } from '../data';
import { WaitingEnds } from '../schedule/waiting-ends';
import { StatusAnnouncement, customerErrorMessage, smsStatusCustomerEvent } from './status-customer-event';
import {
  CallbackOutcome,
  callbackOutcomeTable,
  canTransition,
  fromTwilioStatus,
  isFailureStatus,
  statusRank,
} from './status-rules';

const ERROR_FETCH_FIRST_DELAY_MS = 500;
/** Twilio: the recipient sent STOP to Twilio, which now refuses every send to them from this number. */
const TWILIO_OPTED_OUT = '21610';

export interface StatusChange {
  status: SmsStatus;
  errorCode?: string | null;
  /** Overrides Twilio's meaning of the code (a refusal carries its own message). */
  errorMessage?: string | null;
  at: Date;
  source: HistorySource;
}

/**
 * The one place a message's status changes. Callers hold the row lock
 * (MessagesRepository.lockMessage*). A status only moves forward by rank, a final
 * status wins, a duplicate changes nothing; each applied change is kept in
 * the history with its time and announced with `sms.status-updated.v1`
 * and, for an outbound message, the customer's `sms.status_updated` webhook
 * (`status-customer-event.ts`), in the transaction of the change.
 */
@Injectable()
export class StatusMachine {
  constructor(
    private readonly repo: MessagesRepository,
    private readonly outbox: Outbox,
    private readonly optOuts: OptOutsRepository,
    private readonly waiting: WaitingEnds,
  ) {}

  /** Applies the change to `msg` (mutated in place); false when it does not move the status. */
  async apply(m: EntityManager, msg: SmsMessage, change: StatusChange): Promise<boolean> {
    if (!canTransition(msg.status, change.status)) return false;
    const previous = msg.status;
    const code = change.errorCode ?? null;
    msg.status = change.status;
    msg.statusRank = statusRank(change.status);
    msg.statusChangedAt = change.at;
    if (code !== null) {
      msg.errorCode = code;
      msg.errorMessage = change.errorMessage ?? twilioErrorMeaning(code);
    }
    // The soft-failure flag describes a message resting in `sent`; any later status replaces it.
    msg.softFailure = false;
    // A failure without its code (callback overtaken by the message's progress): ask Twilio later.
    const fetchError = isFailureStatus(change.status) && msg.errorCode === null && msg.twilioSid !== null;
    const event = this.outbox.row(MessagingEvents.smsStatusUpdated, {
      message_id: msg.id,
      account_id: msg.accountId,
      agent_id: msg.agentId,
      twilio_sid: msg.twilioSid,
      status: msg.status,
      previous_status: previous,
      error_code: msg.errorCode,
      soft_failure: false,
      at: change.at.toISOString(),
    });
    await this.repo.applyStatus(
      m,
      {
        id: msg.id,
        status: msg.status,
        statusRank: msg.statusRank,
        at: change.at,
        errorCode: msg.errorCode,
        errorMessage: msg.errorMessage,
        errorFetchAfter: fetchError ? new Date(Date.now() + ERROR_FETCH_FIRST_DELAY_MS) : null,
        historyErrorCode: code,
        source: change.source,
      },
      event,
    );
    countSmsStatus(msg.status, msg.errorCode);
    await this.announce(m, msg, previous, 'change', change.at);
    if (code === TWILIO_OPTED_OUT && msg.direction === 'outbound') await this.recordOptOut(m, msg, change.at);
    return true;
  }

  /** The `sms.status_updated` customer event of an applied change, in its transaction. */
  private async announce(
    m: EntityManager,
    msg: SmsMessage,
    previous: SmsStatus,
    kind: StatusAnnouncement,
    at: Date,
  ): Promise<void> {
    const event = smsStatusCustomerEvent(msg, previous, kind, at);
    if (event) await this.outbox.add(m, CustomerEvents.emit, event);
  }

  /**
   * Twilio refused the send with 21610: the recipient opted out at Twilio, so
   * record the opt-out here too (later sends get `422 recipient_opted_out`
   * instead of a failed Twilio call), with an `sms.opted_out` customer event,
   * and cancel what still waits for them from this number (`WaitingEnds`),
   * in the transaction of the status change.
   */
  private async recordOptOut(m: EntityManager, msg: SmsMessage, at: Date): Promise<void> {
    const inserted = await this.optOuts.record(m, {
      ourNumber: msg.ourNumber,
      recipient: msg.otherParty,
      accountId: msg.accountId,
      optedOutAt: at,
      source: 'twilio_21610',
      keyword: null,
    });
    await this.waiting.cancelForOptOut(
      m,
      { accountId: msg.accountId, ourNumber: msg.ourNumber, recipient: msg.otherParty },
      'opt_out',
    );
    if (!inserted) return;
    await this.outbox.add(m, CustomerEvents.emit, {
      event_id: `evt_opted_out_${msg.id}`,
      account_id: msg.accountId,
      phone_number: msg.ourNumber,
      agent_id: msg.agentId,
      type: 'sms.opted_out',
      occurred_at: at.toISOString(),
      data: {
        phone_number: msg.ourNumber,
        recipient: msg.otherParty,
        source: 'twilio_21610',
        message_id: msg.id,
      },
    });
  }

  /**
   * A Twilio callback whose SID a message already owns, in one statement (the
   * common case: no transaction round trips). The same rules as `apply`: the
   * statement looks its outcome up in `callbackOutcomeTable`. Undefined when
   * no message owns the SID (nothing written) or the code is 21610: the
   * caller takes the locked path (parking, or `apply` with the opt-out).
   */
  async applyCallback(
    eventId: string,
    handler: string,
    cb: CallbackFacts,
  ): Promise<CallbackOutcome | 'duplicate_event' | undefined> {
    // A 21610 also records an opt-out: the locked path does both in one transaction.
    if (cb.errorCode === TWILIO_OPTED_OUT) return undefined;
    const status = fromTwilioStatus(cb.rawStatus);
    const result = await this.repo.applyCallbackToOwnedSid(eventId, handler, cb, {
      status: status ?? null,
      statusRank: status ? statusRank(status) : null,
      outcomes: callbackOutcomeTable(status),
      errorMessage: cb.errorCode === null ? null : twilioErrorMeaning(cb.errorCode),
      errorFetchAfter:
        status && isFailureStatus(status) ? new Date(Date.now() + ERROR_FETCH_FIRST_DELAY_MS) : null,
      event: status ? { status, soft_failure: false, at: cb.at.toISOString() } : null,
      eventId: randomUUID(),
      routingKey: MessagingEvents.smsStatusUpdated,
      customerEvent: status
        ? {
            type: 'sms.status_updated',
            occurred_at: cb.at.toISOString(),
            data: { status, soft_failure: false, at: cb.at.toISOString() },
          }
        : null,
      customerEventId: randomUUID(),
      customerRoutingKey: CustomerEvents.emit,
      customerErrorMessage: customerErrorMessage(cb.errorCode),
    });
    if (!result.found) return undefined;
    if (status && result.outcome === 'applied') countSmsStatus(status, cb.errorCode);
    return result.outcome ?? 'duplicate_event';
  }

  /** Flags a message resting in `sent` past the threshold (the spec's dashboard soft failure). */
  async flagSoftFailure(m: EntityManager, msg: SmsMessage, at: Date): Promise<void> {
    msg.softFailure = true;
    msg.softFailureAt = at;
    await this.repo.updateMessage(m, msg.id, { softFailure: true, softFailureAt: at });
    await this.outbox.add(m, MessagingEvents.smsStatusUpdated, {
      message_id: msg.id,
      account_id: msg.accountId,
      agent_id: msg.agentId,
      twilio_sid: msg.twilioSid,
      status: msg.status,
      previous_status: msg.status,
      error_code: msg.errorCode,
      soft_failure: true,
      at: at.toISOString(),
    });
    await this.announce(m, msg, msg.status, 'soft_failure', at);
  }
}
