import type { CustomerEventEmit } from '@nixflex/common';
import { SmsStatus, twilioErrorMeaning } from '@nixflex/common/sms';

/**
 * `data` of the `sms.status_updated` customer event, in the order the
 * customer sees the fields. `error_message` is our wording of the code, never
 * the provider's own text.
 */
export interface SmsStatusUpdatedData {
  message_id: string;
  status: SmsStatus;
  previous_status: SmsStatus;
  error_code: string | null;
  error_message: string | null;
  soft_failure: boolean;
  twilio_sid: string | null;
  to: string;
  from_number: string;
  /** The call that asked for this SMS (in-call or post-call), else null. */
  call_id: string | null;
  at: string;
}

/** Our own failure codes (the sender's), worded for the customer. */
const OWN_CODE_MEANINGS: Record<string, string> = {
  number_not_found: 'The sending number is no longer imported',
  twilio_unavailable: 'Twilio could not be reached',
  expired: 'Not handed to Twilio before its expires_at',
  recipient_opted_out: 'The recipient opted out (STOP) before it was sent',
};

/**
 * What the customer reads beside an error code: Twilio's numeric codes by
 * their dictionary meaning, our own codes by a fixed text, anything else
 * nothing (a refusal's raw provider message stays in our logs).
 */
export function customerErrorMessage(code: string | null): string | null {
  if (code === null) return null;
  if (/^\d+$/.test(code)) return twilioErrorMeaning(code);
  return OWN_CODE_MEANINGS[code] ?? null;
}

/**
 * What an event announces: an applied status change; the flag of a message
 * resting in `sent` too long (`soft_failure`); or the error code of a failure
 * that reached us without it and was fetched from Twilio later (`error_code`).
 */
export type StatusAnnouncement = 'change' | 'soft_failure' | 'error_code';

/**
 * The event id: a status is reached at most once (it only moves forward), a
 * message is flagged at most once and its missing code stored at most once,
 * so the id is stable across redeliveries and a repeat is one delivery.
 */
export function smsStatusEventId(messageId: string, status: SmsStatus, kind: StatusAnnouncement): string {
  switch (kind) {
    case 'change':
      return `evt_sms_status_${messageId}_${status}`;
    case 'soft_failure':
      return `evt_sms_status_${messageId}_soft_failure`;
    case 'error_code':
      return `evt_sms_status_${messageId}_${status}_error_code`;
  }
}

/** The message's facts the event needs (an outbound message: `from_number` is our number). */
export interface StatusEventMessage {
  id: string;
  accountId: string;
  agentId: string | null;
  twilioSid: string | null;
  direction: 'outbound' | 'inbound';
  fromNumber: string;
  toNumber: string;
  status: SmsStatus;
  errorCode: string | null;
  callId?: string | null;
}

/**
 * `customer-events.emit.v1` about the status of an outbound message (null
 * for an inbound one: its status is not the customer's send). The target is
 * our number's webhook, else its agent's.
 */
export function smsStatusCustomerEvent(
  msg: StatusEventMessage,
  previous: SmsStatus,
  kind: StatusAnnouncement,
  at: Date,
): CustomerEventEmit | null {
  if (msg.direction !== 'outbound') return null;
  const data: SmsStatusUpdatedData = {
    message_id: msg.id,
    status: msg.status,
    previous_status: previous,
    error_code: msg.errorCode,
    error_message: customerErrorMessage(msg.errorCode),
    soft_failure: kind === 'soft_failure',
    twilio_sid: msg.twilioSid,
    to: msg.toNumber,
    from_number: msg.fromNumber,
    call_id: msg.callId ?? null,
    at: at.toISOString(),
  };
  return {
    event_id: smsStatusEventId(msg.id, msg.status, kind),
    account_id: msg.accountId,
    phone_number: msg.fromNumber,
    agent_id: msg.agentId,
    type: 'sms.status_updated',
    occurred_at: data.at,
    data: { ...data },
  };
}
