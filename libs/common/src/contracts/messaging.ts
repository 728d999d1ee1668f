/**
 * Contracts of apps/messaging: SMS records, sending, statuses, conversations.
 * A change to a payload is a new versioned key, never an edit.
 */
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ID_PATTERNS } from '../ids';
import type { CostEstimate, SmsEncoding, SmsStatus, SmsWarning } from '../sms';
import { SMS_STATUSES } from '../sms/status';
import { IsAccountId } from './account-id';
import type { Page } from './pagination';
import { PageQuery } from './pagination';

/**
 * Body of `POST /v1/sms`. Only types are checked here: the business checks
 * (E.164, length, ownership) are done by messaging, each with its own code.
 */
export class SendSmsBody {
  @IsString()
  @MaxLength(100)
  agent_id: string;

  @IsString()
  @MaxLength(32)
  to: string;

  @IsString()
  @MaxLength(32)
  from_number: string;

  /** Longer than Twilio's cap on purpose: over 1600 is `message_too_long`, not a generic 400. */
  @IsString()
  @MaxLength(20000)
  message: string;
}

/** `sms.send.v1`: the gateway's send, with the id it generated and the caller's idempotency key. */
export class SendSmsCommand extends SendSmsBody {
  @IsAccountId()
  account_id: string;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  api_key_id?: string;

  @Matches(ID_PATTERNS.message)
  message_id: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  idempotency_key?: string;
}

export class GetSmsCommand {
  @IsAccountId()
  account_id: string;

  /** Our id (`msg_...`) or the Twilio SID (`SM...`/`MM...`). */
  @IsString()
  @MaxLength(64)
  id: string;
}

export class ListSmsQuery extends PageQuery {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  agent_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(32)
  from_number?: string;

  @IsOptional()
  @IsString()
  @MaxLength(32)
  to?: string;

  @IsOptional()
  @IsIn(SMS_STATUSES)
  status?: SmsStatus;
}

export class ListSmsCommand extends ListSmsQuery {
  @IsAccountId()
  account_id: string;
}

/** The answer to a send (and, byte for byte, to its idempotent replays). */
export interface SmsAcceptedDto {
  message_id: string;
  status: 'queued';
  agent_id: string;
  to: string;
  from_number: string;
  segments: number;
  encoding: SmsEncoding;
  estimated_cost: CostEstimate;
  warnings?: SmsWarning[];
  created_at: string;
}

export interface SmsDto {
  message_id: string;
  twilio_sid: string | null;
  direction: 'outbound' | 'inbound';
  agent_id: string | null;
  from_number: string;
  to: string;
  message: string;
  status: SmsStatus;
  /** Stuck in `sent` past the threshold: Twilio handed it to the carrier, no confirmation came. */
  soft_failure: boolean;
  error_code: string | null;
  error_message: string | null;
  segments: number;
  encoding: SmsEncoding;
  estimated_cost: CostEstimate | null;
  in_reply_to: string | null;
  created_at: string;
  updated_at: string;
}

export interface SmsStatusChange {
  status: SmsStatus;
  error_code: string | null;
  at: string;
  source: 'api' | 'sender' | 'twilio_callback' | 'sweeper';
}

export interface SmsDetailDto extends SmsDto {
  status_history: SmsStatusChange[];
  /** Messages between this number and this recipient, both directions, from this one on, oldest first. */
  conversation: SmsDto[];
}

/** Wakes the sender for one stored message; the row, not the event, is the truth. */
export interface SmsDispatchEvent {
  message_id: string;
}

/** Announces every applied status change (for customer webhooks and dashboards). */
export interface SmsStatusUpdatedEvent {
  message_id: string;
  account_id: string;
  agent_id: string | null;
  twilio_sid: string | null;
  status: SmsStatus;
  previous_status: SmsStatus;
  error_code: string | null;
  soft_failure: boolean;
  at: string;
}

export class ListOptOutsQuery {
  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone_number?: string;
}

export class ListOptOutsCommand extends ListOptOutsQuery {
  @IsAccountId()
  account_id: string;
}

/** A recipient who opted out of one of our numbers: when, and how (keyword or Twilio 21610). */
export interface OptOutDto {
  phone_number: string;
  recipient: string;
  opted_out_at: string;
  source: 'keyword' | 'twilio_21610';
  keyword: string | null;
}

export const MessagingCommands = {
  smsSend: 'sms.send.v1',
  smsGet: 'sms.get.v1',
  smsList: 'sms.list.v1',
  optOutsList: 'sms.opt-outs.list.v1',
} as const;

export interface MessagingCommandMap {
  'sms.send.v1': { request: SendSmsCommand; response: SmsAcceptedDto };
  'sms.get.v1': { request: GetSmsCommand; response: SmsDetailDto };
  'sms.list.v1': { request: ListSmsCommand; response: Page<SmsDto> };
  'sms.opt-outs.list.v1': { request: ListOptOutsCommand; response: { data: OptOutDto[] } };
}

export const MessagingEvents = {
  smsDispatch: 'sms.dispatch.v1',
  smsStatusUpdated: 'sms.status-updated.v1',
} as const;

export interface MessagingEventMap {
  'sms.dispatch.v1': SmsDispatchEvent;
  'sms.status-updated.v1': SmsStatusUpdatedEvent;
}
