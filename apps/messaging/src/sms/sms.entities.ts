import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { CostEstimate, SmsEncoding, SmsStatus } from '@nixflex/common/sms';

export type DispatchState = 'pending' | 'in_flight' | 'uncertain' | 'done' | 'failed';
export type HistorySource = 'api' | 'sender' | 'twilio_callback' | 'sweeper';

/**
 * One SMS, either direction. Outbound rows also carry the sender's work state
 * (`dispatch_state`, attempts, lease): the row is the source of truth and the
 * dispatch event only wakes the sender up.
 */
@Entity({ name: 'messages' })
export class SmsMessage {
  @PrimaryColumn('text')
  id: string;

  @Column('text', { name: 'account_id' })
  accountId: string;

  @Column('text', { name: 'api_key_id', nullable: true })
  apiKeyId: string | null;

  @Column('text', { name: 'agent_id', nullable: true })
  agentId: string | null;

  @Column('text')
  direction: 'outbound' | 'inbound';

  @Column('text')
  source: string;

  @Column('text', { name: 'from_number' })
  fromNumber: string;

  @Column('text', { name: 'to_number' })
  toNumber: string;

  @Column('text', { name: 'our_number' })
  ourNumber: string;

  @Column('text', { name: 'other_party' })
  otherParty: string;

  @Column('text')
  body: string;

  @Column('integer')
  segments: number;

  @Column('text')
  encoding: SmsEncoding;

  @Column('jsonb', { name: 'estimated_cost', nullable: true })
  estimatedCost: CostEstimate | null;

  @Column('text', { name: 'in_reply_to', nullable: true })
  inReplyTo: string | null;

  @Column('text')
  status: SmsStatus;

  @Column('smallint', { name: 'status_rank' })
  statusRank: number;

  @Column('timestamptz', { name: 'status_changed_at' })
  statusChangedAt: Date;

  @Column('text', { name: 'error_code', nullable: true })
  errorCode: string | null;

  @Column('text', { name: 'error_message', nullable: true })
  errorMessage: string | null;

  @Column('boolean', { name: 'soft_failure' })
  softFailure: boolean;

  @Column('timestamptz', { name: 'soft_failure_at', nullable: true })
  softFailureAt: Date | null;

  @Column('text', { name: 'twilio_sid', nullable: true })
  twilioSid: string | null;

  @Column('text', { name: 'twilio_account_sid', nullable: true })
  twilioAccountSid: string | null;

  @Column('text', { name: 'dispatch_state', nullable: true })
  dispatchState: DispatchState | null;

  @Column('integer')
  attempts: number;

  @Column('timestamptz', { name: 'next_attempt_at', nullable: true })
  nextAttemptAt: Date | null;

  @Column('timestamptz', { name: 'lease_until', nullable: true })
  leaseUntil: Date | null;

  @Column('text', { name: 'last_attempt_error', nullable: true })
  lastAttemptError: string | null;

  @Column('timestamptz', { name: 'dispatched_at', nullable: true })
  dispatchedAt: Date | null;

  /** Set when a failure status arrived without its ErrorCode: when to ask Twilio for it. */
  @Column('timestamptz', { name: 'error_fetch_after', nullable: true })
  errorFetchAfter: Date | null;

  @Column('smallint', { name: 'error_fetch_attempts' })
  errorFetchAttempts: number;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
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
  outcome: string | null;
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
