import { Injectable } from '@nestjs/common';
import { MessagingEvents, Outbox } from '@nixflex/common';
import {
  SMS_STATUSES,
  SmsStatus,
  canTransition,
  fromTwilioStatus,
  statusRank,
  twilioErrorMeaning,
} from '@nixflex/common/sms';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { HistorySource, SmsMessage } from './sms.entities';
import { SmsRepository } from './sms.repository';

const ERROR_FETCH_FIRST_DELAY_MS = 500;

function isFailure(status: SmsStatus): boolean {
  return status === 'failed' || status === 'undelivered';
}

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
 * (SmsRepository.lockMessage*). A status only moves forward by rank, a final
 * status wins, a duplicate changes nothing; each applied change is kept in
 * the history with its time and announced with `sms.status-updated.v1`.
 */
@Injectable()
export class StatusMachine {
  constructor(
    private readonly repo: SmsRepository,
    private readonly outbox: Outbox,
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
    const fetchError = isFailure(change.status) && msg.errorCode === null && msg.twilioSid !== null;
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
      { table: this.outbox.table, ...event },
    );
    return true;
  }

  /**
   * A Twilio callback whose SID a message already owns, in one statement (the
   * common case: no transaction round trips). The same rules as `apply`: the
   * statuses `status` may replace come from `canTransition`. Undefined when
   * no message owns the SID (nothing written): the caller parks it under the
   * SID lock instead.
   */
  async applyCallback(
    eventId: string,
    cb: { sid: string; rawStatus: string; errorCode: string | null; accountSid: string; at: Date },
  ): Promise<string | undefined> {
    const status = fromTwilioStatus(cb.rawStatus) ?? null;
    const result = await this.repo.applyCallbackToOwnedSid(
      eventId,
      'sms.status-received',
      cb,
      {
        status,
        statusRank: status && statusRank(status),
        allowedFrom: status ? SMS_STATUSES.filter((current) => canTransition(current, status)) : [],
        errorMessage: cb.errorCode === null ? null : twilioErrorMeaning(cb.errorCode),
        errorFetchAfter:
          status && isFailure(status) ? new Date(Date.now() + ERROR_FETCH_FIRST_DELAY_MS) : null,
      },
      { table: this.outbox.table, id: randomUUID(), routing_key: MessagingEvents.smsStatusUpdated },
    );
    if (!result.found) return undefined;
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
  }
}
