import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { CostEstimate, SmsEncoding, SmsStatus } from '@nixflex/common/sms';
import type { CallbackOutcome } from '../status/status-rules';

export type DispatchState = 'pending' | 'in_flight' | 'uncertain' | 'done' | 'failed';

/**
 * Every column of `messages`, by entity property: the one list the entity,
 * the row type of raw statements (`MessageRow`) and their column lists use.
 */
export const MESSAGE_COLUMNS = {
  id: 'id',
  accountId: 'account_id',
  apiKeyId: 'api_key_id',
  agentId: 'agent_id',
  direction: 'direction',
  source: 'source',
  fromNumber: 'from_number',
  toNumber: 'to_number',
  ourNumber: 'our_number',
  otherParty: 'other_party',
  body: 'body',
  segments: 'segments',
  encoding: 'encoding',
  estimatedCost: 'estimated_cost',
  inReplyTo: 'in_reply_to',
  callId: 'call_id',
  scheduledFor: 'scheduled_for',
  campaignId: 'campaign_id',
  expiresAt: 'expires_at',
  status: 'status',
  statusRank: 'status_rank',
  statusChangedAt: 'status_changed_at',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  softFailure: 'soft_failure',
  softFailureAt: 'soft_failure_at',
  twilioSid: 'twilio_sid',
  twilioAccountSid: 'twilio_account_sid',
  dispatchState: 'dispatch_state',
  attempts: 'attempts',
  nextAttemptAt: 'next_attempt_at',
  leaseUntil: 'lease_until',
  lastAttemptError: 'last_attempt_error',
  dispatchedAt: 'dispatched_at',
  errorFetchAfter: 'error_fetch_after',
  errorFetchAttempts: 'error_fetch_attempts',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
} as const satisfies Record<keyof SmsMessage, string>;

/** A raw `messages` row (snake_case columns), as `RETURNING *` or `SELECT m.*` give it. */
export type MessageRow = { -readonly [K in keyof SmsMessage as (typeof MESSAGE_COLUMNS)[K]]: SmsMessage[K] };

/** A raw `messages` row as the entity. */
export function messageFromRow(row: MessageRow): SmsMessage {
  const msg = new SmsMessage();
  const target = msg as unknown as Record<string, unknown>;
  for (const [property, column] of Object.entries(MESSAGE_COLUMNS)) {
    target[property] = row[column];
  }
  return msg;
}

/**
 * The column list and the value list of an `INSERT INTO messages (...)
 * SELECT ...`, from one SQL expression per entity property, so a column and
 * its value cannot drift apart.
 */
export function messageInsert(values: Partial<Record<keyof SmsMessage, string>>): {
  columns: string;
  values: string;
} {
  const entries = Object.entries(values) as [keyof SmsMessage, string][];
  return {
    columns: entries.map(([property]) => `"${MESSAGE_COLUMNS[property]}"`).join(', '),
    values: entries.map(([, value]) => value).join(', '),
  };
}

/** Who changed the status; `opt_out`: the recipient's STOP (or Twilio's 21610) canceled a waiting message. */
export type HistorySource = 'api' | 'sender' | 'twilio_callback' | 'sweeper' | 'scheduler' | 'opt_out';

/**
 * One SMS, either direction. Outbound rows also carry the sender's work state
 * (`dispatch_state`, attempts, lease): the row is the source of truth and the
 * dispatch event only wakes the sender up.
 */
@Entity({ name: 'messages' })
export class SmsMessage {
  @PrimaryColumn('text')
  id: string;

  @Column('text', { name: MESSAGE_COLUMNS.accountId })
  accountId: string;

  @Column('text', { name: MESSAGE_COLUMNS.apiKeyId, nullable: true })
  apiKeyId: string | null;

  @Column('text', { name: MESSAGE_COLUMNS.agentId, nullable: true })
  agentId: string | null;

  @Column('text')
  direction: 'outbound' | 'inbound';

  @Column('text')
  source: string;

  @Column('text', { name: MESSAGE_COLUMNS.fromNumber })
  fromNumber: string;

  @Column('text', { name: MESSAGE_COLUMNS.toNumber })
  toNumber: string;

  @Column('text', { name: MESSAGE_COLUMNS.ourNumber })
  ourNumber: string;

  @Column('text', { name: MESSAGE_COLUMNS.otherParty })
  otherParty: string;

  @Column('text')
  body: string;

  @Column('integer')
  segments: number;

  @Column('text')
  encoding: SmsEncoding;

  @Column('jsonb', { name: MESSAGE_COLUMNS.estimatedCost, nullable: true })
  estimatedCost: CostEstimate | null;

  @Column('text', { name: MESSAGE_COLUMNS.inReplyTo, nullable: true })
  inReplyTo: string | null;

  /** For an SMS a call asked for (`in_call`, `post_call`): that call. */
  @Column('text', { name: MESSAGE_COLUMNS.callId, nullable: true })
  callId: string | null;

  /** A `scheduled` message's release time (`send_at`, or the end of quiet hours); kept after release. */
  @Column('timestamptz', { name: MESSAGE_COLUMNS.scheduledFor, nullable: true })
  scheduledFor: Date | null;

  /** The campaign this message belongs to (outbound), or whose message it answers (inbound). */
  @Column('text', { name: MESSAGE_COLUMNS.campaignId, nullable: true })
  campaignId: string | null;

  /** Not handed to Twilio by then: `failed` with `expired`. */
  @Column('timestamptz', { name: MESSAGE_COLUMNS.expiresAt, nullable: true })
  expiresAt: Date | null;

  @Column('text')
  status: SmsStatus;

  @Column('smallint', { name: MESSAGE_COLUMNS.statusRank })
  statusRank: number;

  @Column('timestamptz', { name: MESSAGE_COLUMNS.statusChangedAt })
  statusChangedAt: Date;

  @Column('text', { name: MESSAGE_COLUMNS.errorCode, nullable: true })
  errorCode: string | null;

  @Column('text', { name: MESSAGE_COLUMNS.errorMessage, nullable: true })
  errorMessage: string | null;

  @Column('boolean', { name: MESSAGE_COLUMNS.softFailure })
  softFailure: boolean;

  @Column('timestamptz', { name: MESSAGE_COLUMNS.softFailureAt, nullable: true })
  softFailureAt: Date | null;

  @Column('text', { name: MESSAGE_COLUMNS.twilioSid, nullable: true })
  twilioSid: string | null;

  @Column('text', { name: MESSAGE_COLUMNS.twilioAccountSid, nullable: true })
  twilioAccountSid: string | null;

  @Column('text', { name: MESSAGE_COLUMNS.dispatchState, nullable: true })
  dispatchState: DispatchState | null;

  @Column('integer')
  attempts: number;

  @Column('timestamptz', { name: MESSAGE_COLUMNS.nextAttemptAt, nullable: true })
  nextAttemptAt: Date | null;

  @Column('timestamptz', { name: MESSAGE_COLUMNS.leaseUntil, nullable: true })
  leaseUntil: Date | null;

  @Column('text', { name: MESSAGE_COLUMNS.lastAttemptError, nullable: true })
  lastAttemptError: string | null;

  @Column('timestamptz', { name: MESSAGE_COLUMNS.dispatchedAt, nullable: true })
  dispatchedAt: Date | null;

  /** Set when a failure status arrived without its ErrorCode: when to ask Twilio for it. */
  @Column('timestamptz', { name: MESSAGE_COLUMNS.errorFetchAfter, nullable: true })
  errorFetchAfter: Date | null;

  @Column('smallint', { name: MESSAGE_COLUMNS.errorFetchAttempts })
  errorFetchAttempts: number;

  @Column('timestamptz', { name: MESSAGE_COLUMNS.createdAt })
  createdAt: Date;

  @Column('timestamptz', { name: MESSAGE_COLUMNS.updatedAt })
  updatedAt: Date;
}

@Entity({ name: 'message_status_history' })
export class SmsStatusHistory {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column('text', { name: 'message_id' })
  messageId: string;

  @Column('text')
  status: SmsStatus;

  @Column('text', { name: 'error_code', nullable: true })
  errorCode: string | null;

  @Column('text')
  source: HistorySource;

  @Column('timestamptz', { name: 'occurred_at' })
  occurredAt: Date;
}

@Entity({ name: 'status_callbacks' })
export class SmsStatusCallback {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column('text', { name: 'twilio_sid' })
  twilioSid: string;

  @Column('text')
  status: string;

  @Column('text', { name: 'error_code', nullable: true })
  errorCode: string | null;

  @Column('timestamptz', { name: 'received_at' })
  receivedAt: Date;

  @Column('timestamptz', { name: 'applied_at', nullable: true })
  appliedAt: Date | null;

  @Column('text', { nullable: true })
  outcome: CallbackOutcome | null;
}

@Entity({ name: 'idempotency_keys' })
export class SmsIdempotencyKey {
  @PrimaryColumn('text', { name: 'account_id' })
  accountId: string;

  @PrimaryColumn('text')
  key: string;

  @Column('text', { name: 'request_hash' })
  requestHash: string;

  @Column('text', { name: 'message_id' })
  messageId: string;

  @Column('jsonb')
  response: object;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;
}

export const SMS_ENTITIES = [SmsMessage, SmsStatusHistory, SmsStatusCallback, SmsIdempotencyKey];
