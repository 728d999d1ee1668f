/**
 * Contracts of apps/messaging: SMS records, sending, statuses, conversations.
 * A change to a payload is a new versioned key, never an edit.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ID_PATTERNS } from '../ids';
import type { CostEstimate, SmsEncoding, SmsStatus, SmsWarning } from '../sms';
import { SMS_STATUSES } from '../sms/status';
import { IsAccountId } from './account-id';
import { BookingDto } from './calendar';
import type { Page } from './pagination';
import { PageOf, PageQuery } from './pagination';
import type { CallerHistoryQuery, TextHistoryEntry } from './voice';

/**
 * Body of `POST /v1/sms`. Only types are checked here: the business checks
 * (E.164, length, ownership) are done by messaging, each with its own code.
 */
export class SendSmsBody {
  @ApiProperty({ maxLength: 100, description: 'The agent the sending number is attached to' })
  @IsString()
  @MaxLength(100)
  agent_id: string;

  @ApiProperty({ maxLength: 32, example: '+447700900123', description: 'Recipient, E.164' })
  @IsString()
  @MaxLength(32)
  to: string;

  @ApiProperty({
    maxLength: 32,
    example: '+447446466847',
    description: 'A number imported into this account and attached to `agent_id`, E.164',
  })
  @IsString()
  @MaxLength(32)
  from_number: string;

  /** Longer than Twilio's cap on purpose: over 1600 is `message_too_long`, not a generic 400. */
  @ApiProperty({
    description:
      'Not empty (`message_empty`), at most 1600 characters (`message_too_long`); over 600 is sent with a warning',
  })
  @IsString()
  @MaxLength(20000)
  message: string;

  /** Checked by messaging (`invalid_send_at`), not here, so every bad value gets that one code. */
  @ApiPropertyOptional({
    maxLength: 64,
    example: '2026-12-24T10:00:00+00:00',
    description:
      'Send later: ISO 8601 with an offset (`Z` or `+01:00`), in the future and at most 30 days ahead (`invalid_send_at`). The message waits in `scheduled` and can be canceled until then',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  send_at?: string;

  @ApiPropertyOptional({
    description:
      "Never deliver inside the account's quiet hours (`quiet_hours` in the account settings, 21:00-09:00 by default) in the recipient's local time (from the number's country; every zone of a multi-zone country): a message that would go then is scheduled for their end. Absent: the account's `respect_quiet_hours_default` (false unless set)",
  })
  @IsOptional()
  @IsBoolean()
  respect_quiet_hours?: boolean;

  /** Checked by messaging (`invalid_expires_at`), not here, so every bad value gets that one code. */
  @ApiPropertyOptional({
    maxLength: 64,
    example: '2026-12-24T18:00:00+00:00',
    description:
      'Give up if not handed to Twilio by then: ISO 8601 with an offset, in the future, after `send_at` when given, at most 30 days ahead (`invalid_expires_at`). A message still waiting then ends `failed` with error code `expired`; Twilio gets the time left as `ValidityPeriod` (at most 10 hours)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  expires_at?: string;
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

/** `sms.cancel.v1`: cancel a scheduled message (`POST /v1/sms/{id}/cancel`). */
export class CancelSmsCommand {
  @IsAccountId()
  account_id: string;

  /** Our id (`msg_...`). */
  @IsString()
  @MaxLength(64)
  id: string;
}

export class ListSmsQuery extends PageQuery {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  agent_id?: string;

  @ApiPropertyOptional({ maxLength: 32, description: 'E.164' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  from_number?: string;

  @ApiPropertyOptional({ maxLength: 32, description: 'E.164' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  to?: string;

  @ApiPropertyOptional({ enum: SMS_STATUSES, enumName: 'SmsStatus' })
  @IsOptional()
  @IsIn(SMS_STATUSES)
  status?: SmsStatus;

  @ApiPropertyOptional({
    maxLength: 64,
    description: 'Only the messages of this call (sent during or after it)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  call_id?: string;
}

export class ListSmsCommand extends ListSmsQuery {
  @IsAccountId()
  account_id: string;
}

const ENCODINGS: SmsEncoding[] = ['GSM-7', 'UCS-2'];

/** How a message came to be: an outbound one's sender, or `twilio_inbound` for a received one. */
export const SMS_SOURCES = [
  'api',
  'agent_reply',
  'in_call',
  'post_call',
  'campaign',
  'twilio_inbound',
] as const;
export type SmsSource = (typeof SMS_SOURCES)[number];

/** The OpenAPI class of `CostEstimate`: Twilio bills per segment at the customer's own rates. */
export class CostEstimateDto implements CostEstimate {
  @ApiProperty({ description: 'Estimated total', example: 0.04 })
  amount: number;

  @ApiProperty({ enum: ['GBP', 'USD'] })
  currency: 'GBP' | 'USD';

  @ApiProperty({ example: 0.04 })
  per_segment: number;
}

export class SmsWarningDto implements SmsWarning {
  @ApiProperty({ enum: ['long_message_deliverability'] })
  code: 'long_message_deliverability';

  @ApiProperty()
  message: string;
}

/** The answer to a send (and, byte for byte, to its idempotent replays). */
export class SmsAcceptedDto {
  @ApiProperty({ example: 'msg_0123456789abcdef' })
  message_id: string;

  @ApiProperty({
    enum: ['queued', 'scheduled'],
    description: '`scheduled`: it waits until `scheduled_for` (`send_at`, or the end of quiet hours)',
  })
  status: 'queued' | 'scheduled';

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When a `scheduled` message will be queued for sending',
  })
  scheduled_for?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'With `expires_at`: not handed to Twilio by then, it ends `failed` with `expired`',
  })
  expires_at?: string;

  @ApiProperty()
  agent_id: string;

  @ApiProperty()
  to: string;

  @ApiProperty()
  from_number: string;

  @ApiProperty({ type: 'integer', minimum: 1 })
  segments: number;

  @ApiProperty({ enum: ENCODINGS })
  encoding: SmsEncoding;

  @ApiProperty({ type: () => CostEstimateDto })
  estimated_cost: CostEstimate;

  @ApiPropertyOptional({
    type: () => [SmsWarningDto],
    description: 'Present when there is something to warn about',
  })
  warnings?: SmsWarning[];

  @ApiProperty({ format: 'date-time' })
  created_at: string;
}

export class SmsDto {
  @ApiProperty({ example: 'msg_0123456789abcdef' })
  message_id: string;

  @ApiProperty({ type: String, nullable: true, description: "Twilio's SID, once Twilio accepted it" })
  twilio_sid: string | null;

  @ApiProperty({ enum: ['outbound', 'inbound'] })
  direction: 'outbound' | 'inbound';

  @ApiProperty({ type: String, nullable: true })
  agent_id: string | null;

  @ApiProperty()
  from_number: string;

  @ApiProperty()
  to: string;

  @ApiProperty()
  message: string;

  @ApiProperty({ enum: SMS_STATUSES, enumName: 'SmsStatus' })
  status: SmsStatus;

  /** Stuck in `sent` past the threshold: Twilio handed it to the carrier, no confirmation came. */
  @ApiProperty({
    description: 'Stuck in `sent` past the threshold: Twilio handed it to the carrier, no confirmation came',
  })
  soft_failure: boolean;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When `soft_failure` was set',
  })
  soft_failure_at: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "Twilio's error code; on an inbound message, why the agent did not answer it (`llm_failed`, `llm_not_configured`, `loop_detected`, `reply_cap_reached`, a send refusal such as `recipient_opted_out`)",
  })
  error_code: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The error in words' })
  error_message: string | null;

  @ApiProperty({ type: 'integer' })
  segments: number;

  @ApiProperty({ enum: ENCODINGS })
  encoding: SmsEncoding;

  @ApiProperty({ type: () => CostEstimateDto, nullable: true })
  estimated_cost: CostEstimate | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'For an agent reply: the inbound message it answers',
  })
  in_reply_to: string | null;

  @ApiProperty({
    enum: SMS_SOURCES,
    enumName: 'SmsSource',
    description:
      'How it came to be: `api` (POST /v1/sms), `agent_reply` (the agent answering a text), `in_call` (the agent during a call), `post_call` (the post-call template), `campaign` (a campaign), `twilio_inbound` (received)',
  })
  source: SmsSource;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'For `in_call` and `post_call`: the call that asked for it',
  })
  call_id: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The campaign that sent it, or (inbound) whose message it replies to',
  })
  campaign_id: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'For a scheduled send: when it was (or will be) queued for sending',
  })
  scheduled_for: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: '`expires_at` as given: not handed to Twilio by then, it ends `failed` with `expired`',
  })
  expires_at: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

export class SmsPage extends PageOf(SmsDto) {}

export class SmsStatusChange {
  @ApiProperty({ enum: SMS_STATUSES, enumName: 'SmsStatus' })
  status: SmsStatus;

  @ApiProperty({ type: String, nullable: true })
  error_code: string | null;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ enum: ['api', 'sender', 'twilio_callback', 'sweeper', 'scheduler', 'opt_out'] })
  source: 'api' | 'sender' | 'twilio_callback' | 'sweeper' | 'scheduler' | 'opt_out';
}

export class SmsDetailDto extends SmsDto {
  @ApiProperty({ type: () => [SmsStatusChange], description: 'Oldest first' })
  status_history: SmsStatusChange[];

  /** Messages between this number and this recipient, both directions, from this one on, oldest first. */
  @ApiProperty({
    type: () => [SmsDto],
    description:
      'Messages between this number and this recipient, both directions, from this one on, oldest first',
  })
  conversation: SmsDto[];

  @ApiProperty({
    type: () => [BookingDto],
    description:
      'Bookings the agent made with this recipient on this number, in calls or texts, newest first (empty when the bookings could not be read in time)',
  })
  bookings: BookingDto[];
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
  @ApiPropertyOptional({ maxLength: 32, description: 'Only opt-outs from this number of ours (E.164)' })
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
export class OptOutDto {
  @ApiProperty({ description: 'Our number (E.164)' })
  phone_number: string;

  @ApiProperty({ description: 'Who opted out (E.164)' })
  recipient: string;

  @ApiProperty({ format: 'date-time' })
  opted_out_at: string;

  @ApiProperty({ enum: ['keyword', 'twilio_21610'] })
  source: 'keyword' | 'twilio_21610';

  @ApiProperty({ type: String, nullable: true, example: 'STOP' })
  keyword: string | null;
}

export class OptOutList {
  @ApiProperty({ type: () => [OptOutDto] })
  data: OptOutDto[];
}

/**
 * `sms.call-send.v1`: an SMS a call asked for (the agent's `[SEND_SMS:]` tag
 * or `send_sms` tool during the call, or the post-call template after it),
 * through every check of `POST /v1/sms` (opt-outs, 1600 cap, the number's
 * agent). Idempotent on (account, `idempotency_key`): the same tag of the
 * same turn, or the same call's post-call SMS, is stored and sent once
 * however often it is asked. Refusals are AppErrors (`recipient_opted_out`, ...).
 */
export class SendCallSmsCommand {
  @IsAccountId()
  account_id: string;

  @IsString()
  @MaxLength(64)
  agent_id: string;

  @Matches(ID_PATTERNS.call)
  call_id: string;

  /** Our number on the call (the dialled number, or an outbound call's from_number). */
  @IsString()
  @MaxLength(32)
  from_number: string;

  /** The caller (or callee). */
  @IsString()
  @MaxLength(32)
  to: string;

  @IsString()
  @MaxLength(2000)
  message: string;

  @IsIn(['in_call', 'post_call'])
  source: 'in_call' | 'post_call';

  /** e.g. `call_x:post_call` or `call_x:turn:3:sms:0`. */
  @IsString()
  @MaxLength(200)
  idempotency_key: string;
}

export const MessagingCommands = {
  smsSend: 'sms.send.v1',
  /** An SMS a call asked for (see SendCallSmsCommand). */
  callSmsSend: 'sms.call-send.v1',
  smsGet: 'sms.get.v1',
  smsList: 'sms.list.v1',
  /** Cancel a `scheduled` message (see CancelSmsCommand). */
  smsCancel: 'sms.cancel.v1',
  optOutsList: 'sms.opt-outs.list.v1',
  /** Texts between a number and a caller, for another channel's prompt (see CallerHistoryQuery). */
  callerHistory: 'sms.caller-history.v1',
} as const;

export interface MessagingCommandMap {
  'sms.send.v1': { request: SendSmsCommand; response: SmsAcceptedDto };
  'sms.call-send.v1': { request: SendCallSmsCommand; response: SmsAcceptedDto };
  'sms.get.v1': { request: GetSmsCommand; response: SmsDetailDto };
  'sms.list.v1': { request: ListSmsCommand; response: Page<SmsDto> };
  'sms.cancel.v1': { request: CancelSmsCommand; response: SmsDetailDto };
  'sms.opt-outs.list.v1': { request: ListOptOutsCommand; response: OptOutList };
  'sms.caller-history.v1': { request: CallerHistoryQuery; response: { texts: TextHistoryEntry[] } };
}

/** Why an inbound SMS got no agent reply from the LLM guards (docs/operations.md "LLM guards"). */
export type SmsReplyGuardCode = 'reply_cap_reached' | 'loop_detected';
/** Which sign of an auto-responder loop was seen. */
export type SmsLoopSignal = 'auto_reply_marker' | 'fast_replies' | 'repeated_text';

/**
 * `sms.reply-guarded.v1`: an inbound message was stored (and forwarded to
 * the customer as usual) but not answered by the agent, because of a guard;
 * written with the outcome on the message (its `error_code`/`error_message`).
 */
export interface SmsReplyGuardedEvent {
  /** The inbound message left unanswered. */
  message_id: string;
  account_id: string;
  agent_id: string | null;
  our_number: string;
  other_party: string;
  code: SmsReplyGuardCode;
  /** `loop_detected` only: the sign, seen on this text or (within the cooldown) an earlier one. */
  signal: SmsLoopSignal | null;
  /** The inbound message that showed the sign (this one or an earlier one); null for the cap. */
  signal_message_id: string | null;
  /** The same words as the message's `error_message`. */
  reason: string;
  at: string;
}

export const MessagingEvents = {
  smsDispatch: 'sms.dispatch.v1',
  smsStatusUpdated: 'sms.status-updated.v1',
  smsReplyGuarded: 'sms.reply-guarded.v1',
} as const;

export interface MessagingEventMap {
  'sms.dispatch.v1': SmsDispatchEvent;
  'sms.status-updated.v1': SmsStatusUpdatedEvent;
  'sms.reply-guarded.v1': SmsReplyGuardedEvent;
}
