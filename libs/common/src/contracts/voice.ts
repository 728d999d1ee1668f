/**
 * Contracts of apps/voice: calls (inbound and outbound), their transcripts,
 * and the caller history every channel's prompt is given.
 * A change to a payload is a new versioned key, never an edit.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ID_PATTERNS } from '../ids';
import type { SmsStatus } from '../sms';
import { SMS_STATUSES } from '../sms/status';
import { IsAccountId } from './account-id';
import { BookingDto } from './calendar';
import { SMS_SOURCES, SmsSource } from './messaging';
import type { Page } from './pagination';
import { PageOf, PageQuery } from './pagination';

/**
 * A call's life, in Twilio's words. A status only moves forward (callbacks
 * arrive late, twice and out of order); the first final one wins.
 */
export const CALL_STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export const CALL_DIRECTIONS = ['inbound', 'outbound'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

/** Longest per-call prompt of an outbound call (the same bound as a number's `custom_prompt`). */
export const CALL_PROMPT_MAX = 8000;
/** Longest `first_message` (spoken as the call's greeting). */
export const FIRST_MESSAGE_MAX = 1000;
/** Largest `metadata`, as JSON. */
export const CALL_METADATA_MAX_BYTES = 8192;

/**
 * Why a call ended, on the call record (`end_reason`), in the engine's words:
 * - `caller_hung_up`: the caller (or callee) hung up;
 * - `agent_ended`: the agent said goodbye and ended the session;
 * - `silence`: the caller said nothing after the re-prompt;
 * - `max_duration`: the call reached VOICE_MAX_CALL_MS;
 * - `llm_failed`: the LLM was unreachable, failed, or sent no first token in
 *   time: the caller heard an apology and the call ended politely;
 * - `relay_error`: ConversationRelay reported an error or the session failed;
 * - `connection_lost`: the relay WebSocket closed with no ending from either
 *   side (the voice process died, the network dropped);
 * - `not_answered`: busy, no-answer, failed or canceled before anyone spoke;
 * - `dial_failed`: Twilio refused to place the outbound call (see error_code);
 * - `token_budget_exhausted`: the account's monthly LLM token budget is used
 *   up: the caller heard an apology and the call ended politely.
 */
export const CALL_END_REASONS = [
  'caller_hung_up',
  'agent_ended',
  'silence',
  'max_duration',
  'llm_failed',
  'relay_error',
  'connection_lost',
  'not_answered',
  'dial_failed',
  'token_budget_exhausted',
] as const;
export type CallEndReason = (typeof CALL_END_REASONS)[number];

// ---------------------------------------------------------------- public API

/**
 * Body of `POST /v1/calls`. Only types are checked here: the business checks
 * (E.164, ownership, lengths) are done by voice, each with its own code.
 */
export class CreateCallBody {
  @ApiProperty({ maxLength: 100, description: 'The agent `from_number` is attached to' })
  @IsString()
  @MaxLength(100)
  agent_id: string;

  @ApiProperty({
    maxLength: 32,
    example: '+447446466847',
    description: 'A number imported into this account and attached to `agent_id`, E.164',
  })
  @IsString()
  @MaxLength(32)
  from_number: string;

  @ApiProperty({ maxLength: 32, example: '+447700900123', description: 'Who to call, E.164' })
  @IsString()
  @MaxLength(32)
  to: string;

  @ApiPropertyOptional({
    maxLength: CALL_PROMPT_MAX,
    description: `This call's brief, replacing the number's custom_prompt for this call (the agent's prompt still applies); at most ${CALL_PROMPT_MAX} characters (\`prompt_too_long\`)`,
  })
  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  prompt?: string;

  @ApiPropertyOptional({
    maxLength: FIRST_MESSAGE_MAX,
    description: `What the agent says when the callee answers; default: the greeting of the number or agent (\`first_message_too_long\` over ${FIRST_MESSAGE_MAX})`,
  })
  @IsOptional()
  @IsString()
  @MaxLength(100_000)
  first_message?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: `Your own data, returned with the call and its events; at most ${CALL_METADATA_MAX_BYTES} bytes as JSON (\`metadata_too_large\`)`,
  })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

/** `calls.create.v1`: the gateway's request, with the id it generated and the idempotency key. */
export class CreateCallCommand extends CreateCallBody {
  @IsAccountId()
  account_id: string;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  api_key_id?: string;

  @Matches(ID_PATTERNS.call)
  call_id: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  idempotency_key?: string;
}

/** The answer to `POST /v1/calls` (and, byte for byte, to its idempotent replays). */
export class CallAcceptedDto {
  @ApiProperty({ example: 'call_0123456789abcdef' })
  call_id: string;

  @ApiProperty({ enum: ['queued'] })
  status: 'queued';

  @ApiProperty()
  agent_id: string;

  @ApiProperty()
  from_number: string;

  @ApiProperty()
  to: string;

  @ApiProperty({ format: 'date-time' })
  created_at: string;
}

export class ListCallsQuery extends PageQuery {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  agent_id?: string;

  @ApiPropertyOptional({ maxLength: 32, description: 'Our number on the call (E.164)' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone_number?: string;

  @ApiPropertyOptional({ enum: CALL_DIRECTIONS })
  @IsOptional()
  @IsIn(CALL_DIRECTIONS)
  direction?: CallDirection;

  @ApiPropertyOptional({ enum: CALL_STATUSES, enumName: 'CallStatus' })
  @IsOptional()
  @IsIn(CALL_STATUSES)
  status?: CallStatus;
}

export class ListCallsCommand extends ListCallsQuery {
  @IsAccountId()
  account_id: string;
}

export class GetCallCommand {
  @IsAccountId()
  account_id: string;

  /** Our id (`call_...`) or Twilio's CallSid (`CA...`). */
  @IsString()
  @MaxLength(64)
  id: string;
}

export class CallDto {
  @ApiProperty({ example: 'call_0123456789abcdef' })
  call_id: string;

  @ApiProperty({ type: String, nullable: true, description: "Twilio's CallSid, once Twilio has one" })
  twilio_sid: string | null;

  @ApiProperty({ enum: CALL_DIRECTIONS })
  direction: CallDirection;

  @ApiProperty()
  agent_id: string;

  @ApiProperty({ description: 'Our number on the call' })
  phone_number: string;

  @ApiProperty()
  from_number: string;

  @ApiProperty()
  to: string;

  @ApiProperty({ enum: CALL_STATUSES, enumName: 'CallStatus' })
  status: CallStatus;

  @ApiProperty({ type: 'integer', nullable: true, description: "Twilio's CallDuration, seconds" })
  duration_s: number | null;

  @ApiProperty({ enum: CALL_END_REASONS, nullable: true })
  end_reason: CallEndReason | null;

  @ApiProperty({ type: String, nullable: true, description: "Twilio's error code, or the engine's" })
  error_code: string | null;

  @ApiProperty({ type: String, nullable: true })
  error_message: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The voice the agent spoke with' })
  voice: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  metadata: Record<string, unknown> | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  answered_at: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  ended_at: string | null;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

export class CallPage extends PageOf(CallDto) {}

export class CallTurnDto {
  @ApiProperty({ enum: ['caller', 'agent'] })
  role: 'caller' | 'agent';

  @ApiProperty({
    description: 'What was said (the agent: only what the caller heard); `[pressed 1]` for a key',
  })
  text: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ description: 'The caller spoke over the agent: `text` is what they heard before' })
  interrupted: boolean;
}

export class CallStatusChangeDto {
  @ApiProperty({ enum: CALL_STATUSES, enumName: 'CallStatus' })
  status: CallStatus;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ enum: ['api', 'dialler', 'twilio_callback', 'relay', 'sweeper'] })
  source: CallStatusSource;
}

export type CallStatusSource = 'api' | 'dialler' | 'twilio_callback' | 'relay' | 'sweeper';

/**
 * What became of a call's post-call SMS (null while the call is live or its
 * wrap-up has not reached the SMS yet): `sent` (accepted by messaging; its
 * delivery is in `sms`), `skipped_opted_out` (the caller opted out),
 * `skipped_not_eligible` (not completed, shorter than VOICE_POST_CALL_MIN_S,
 * or not answered), `skipped_no_template` (the number and its agent have no
 * template), `failed` (refused, or not confirmed within the wrap-up's time).
 */
export const POST_CALL_SMS_STATES = [
  'sent',
  'skipped_opted_out',
  'skipped_not_eligible',
  'skipped_no_template',
  'failed',
] as const;
export type PostCallSmsState = (typeof POST_CALL_SMS_STATES)[number];

/** A text sent in or after a call, as the call's detail and its `call.ended` list it. */
export class CallSmsDto {
  @ApiProperty({ example: 'msg_0123456789abcdef' })
  message_id: string;

  @ApiProperty({
    enum: SMS_SOURCES,
    enumName: 'SmsSource',
    description: '`in_call` (asked for during the call) or `post_call` (the post-call template)',
  })
  source: SmsSource;

  @ApiProperty()
  to: string;

  @ApiProperty()
  message: string;

  @ApiProperty({ enum: SMS_STATUSES, enumName: 'SmsStatus' })
  status: SmsStatus;
}

export class CallDetailDto extends CallDto {
  @ApiProperty({ type: String, nullable: true, description: "Outbound: this call's prompt" })
  prompt: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "The agent's two-sentence summary, written after the call; null when nobody spoke or the LLM failed",
  })
  summary: string | null;

  @ApiProperty({ enum: POST_CALL_SMS_STATES, enumName: 'PostCallSmsState', nullable: true })
  post_call_sms: PostCallSmsState | null;

  @ApiProperty({
    type: () => [CallSmsDto],
    nullable: true,
    description:
      'Texts sent in or after the call, from messaging; null when messaging did not answer in time',
  })
  sms: CallSmsDto[] | null;

  @ApiProperty({
    type: () => [BookingDto],
    nullable: true,
    description: 'Bookings made in the call, from numbers; null when numbers did not answer in time',
  })
  bookings: BookingDto[] | null;

  @ApiProperty({ type: String, nullable: true, description: 'Outbound: what the agent said first' })
  first_message: string | null;

  @ApiProperty({ type: () => [CallTurnDto], description: 'The transcript, oldest first' })
  turns: CallTurnDto[];

  @ApiProperty({ type: () => [CallStatusChangeDto], description: 'Oldest first' })
  status_history: CallStatusChangeDto[];
}

// ------------------------------------------------------- Twilio's voice webhooks

/**
 * `calls.answer.v1`: apps/webhooks verified a voice webhook (an inbound call
 * for `our_number`, or an outbound call `call_id` the callee answered) and
 * needs the TwiML to answer Twilio with. Idempotent on `call_sid`.
 */
export class AnswerCallCommand {
  @IsString()
  @MaxLength(64)
  call_sid: string;

  @IsString()
  @MaxLength(64)
  account_sid: string;

  @IsString()
  @MaxLength(32)
  from: string;

  @IsString()
  @MaxLength(32)
  to: string;

  /** Our number on the call: `To` inbound, `From` outbound. */
  @IsString()
  @MaxLength(32)
  our_number: string;

  @IsIn(['inbound', 'outbound'])
  direction: CallDirection;

  /** Outbound: our id, from the `Url`'s `call_id`. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  call_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  caller_name?: string;
}

export interface AnswerCallReply {
  call_id: string;
  /** The TwiML document to answer Twilio with. */
  twiml: string;
}

/** A verified call status callback, as Twilio sent it (voice owns the status machine). */
export class CallStatusReceivedEvent {
  @IsString()
  @MaxLength(64)
  call_sid: string;

  @IsString()
  @MaxLength(64)
  account_sid: string;

  @IsString()
  @MaxLength(32)
  call_status: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  call_duration?: number | null;

  @IsOptional()
  @IsString()
  @MaxLength(16)
  error_code?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  call_id?: string | null;

  @IsString()
  @MaxLength(32)
  from: string;

  @IsString()
  @MaxLength(32)
  to: string;

  @IsIn(['inbound', 'outbound'])
  direction: CallDirection;

  @IsString()
  @MaxLength(40)
  received_at: string;
}

/** A verified `<Connect action>` request: the ConversationRelay session of a call ended. */
export class CallRelayEndedEvent {
  @IsString()
  @MaxLength(64)
  call_sid: string;

  @IsString()
  @MaxLength(64)
  account_sid: string;

  /** `ended` (we sent `end`), `completed` (the caller hung up), `failed`. */
  @IsString()
  @MaxLength(32)
  session_status: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  session_duration?: number | null;

  @IsOptional()
  @IsString()
  @MaxLength(20000)
  handoff_data?: string | null;

  @IsString()
  @MaxLength(40)
  received_at: string;
}

// ------------------------------------------------------------ caller history

/**
 * `voice.caller-history.v1` (calls) and `sms.caller-history.v1` (texts): what
 * this account's number and this caller said before, newest last, bounded.
 * Asked with a short timeout; an owner that is down means no history, never a
 * blocked caller.
 */
export class CallerHistoryQuery {
  @IsAccountId()
  account_id: string;

  @IsString()
  @MaxLength(32)
  our_number: string;

  @IsString()
  @MaxLength(32)
  other_party: string;

  /** Most entries (default 5). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  limit?: number;

  /** Leave out this call (the one in progress) or message (the one being answered). */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  exclude_id?: string;
}

/** An earlier call, as another conversation's prompt is shown it. */
export interface CallHistoryEntry {
  call_id: string;
  /** When it started (ISO). */
  at: string;
  direction: CallDirection;
  status: CallStatus;
  duration_s: number | null;
  /** The transcript, shortened: `Caller: ... / You: ...`. */
  transcript: string;
}

/** An earlier text. */
export interface TextHistoryEntry {
  at: string;
  direction: 'inbound' | 'outbound';
  body: string;
}

// ---------------------------------------------------------------- events

/** Wakes the dialler for one stored outbound call; the row, not the event, is the truth. */
export interface CallDialEvent {
  call_id: string;
}

/** A call reached its final status (published through voice's outbox, once). */
export interface CallEndedEvent {
  call_id: string;
  account_id: string;
  agent_id: string;
  direction: CallDirection;
  phone_number: string;
  from_number: string;
  to: string;
  twilio_sid: string | null;
  status: CallStatus;
  end_reason: CallEndReason | null;
  duration_s: number | null;
  error_code: string | null;
  metadata: Record<string, unknown> | null;
  transcript: { role: 'caller' | 'agent'; text: string; at: string; interrupted: boolean }[];
  ended_at: string;
}

/** The customer's `call.started`: the call was answered (first `in-progress`). */
export interface CallStartedData {
  call_id: string;
  direction: CallDirection;
  phone_number: string;
  from_number: string;
  to: string;
  agent_id: string;
  twilio_sid: string | null;
  metadata: Record<string, unknown> | null;
  started_at: string;
}

/**
 * The customer's `call.ended`, sent once the call's wrap-up is done: the
 * call as `call.ended.v1` has it, plus its summary, its texts and its
 * bookings. `sms` / `bookings` are null when their owner did not answer
 * within the wrap-up's time (unknown, not none).
 */
export interface CallEndedData extends CallEndedEvent {
  summary: string | null;
  post_call_sms: PostCallSmsState | null;
  sms: CallSmsDto[] | null;
  bookings: BookingDto[] | null;
}

export const VoiceCommands = {
  callsCreate: 'calls.create.v1',
  callsList: 'calls.list.v1',
  callsGet: 'calls.get.v1',
  callsAnswer: 'calls.answer.v1',
  callerHistory: 'voice.caller-history.v1',
} as const;

export interface VoiceCommandMap {
  'calls.create.v1': { request: CreateCallCommand; response: CallAcceptedDto };
  'calls.list.v1': { request: ListCallsCommand; response: Page<CallDto> };
  'calls.get.v1': { request: GetCallCommand; response: CallDetailDto };
  'calls.answer.v1': { request: AnswerCallCommand; response: AnswerCallReply };
  'voice.caller-history.v1': { request: CallerHistoryQuery; response: { calls: CallHistoryEntry[] } };
}

export const VoiceEvents = {
  /** Published by apps/webhooks: a verified call status callback. */
  callStatusReceived: 'call.status-received.v1',
  /** Published by apps/webhooks: a verified `<Connect action>` (relay session ended). */
  callRelayEnded: 'call.relay-ended.v1',
  /** Voice's outbox to itself: place this outbound call. */
  callDial: 'calls.dial.v1',
  /** A call reached its final status. */
  callEnded: 'call.ended.v1',
} as const;

export interface VoiceEventMap {
  'call.status-received.v1': CallStatusReceivedEvent;
  'call.relay-ended.v1': CallRelayEndedEvent;
  'calls.dial.v1': CallDialEvent;
  'call.ended.v1': CallEndedEvent;
}
