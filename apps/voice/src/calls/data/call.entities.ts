import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type {
  CallDirection,
  CallEndReason,
  CallStatus,
  CallStatusSource,
  PostCallSmsState,
} from '@nixflex/common';

/** The dialler's work state of an outbound call (null for inbound calls). */
export type DialState = 'pending' | 'in_flight' | 'uncertain' | 'done' | 'failed';

/** What was done after the call ended (null: the call has not ended, or ended before wrap-ups existed). */
export type WrapupState = 'pending' | 'done';

/** How the summary step ended: written, nobody spoke (nothing to summarise), the LLM failed, or VOICE_CALL_SUMMARY is off. */
export type SummaryState = 'written' | 'no_conversation' | 'failed' | 'disabled';

/**
 * One call, either direction. The row is the truth: the relay session, the
 * status callbacks and the dialler all move it forward, and the status
 * (`status_rank`) only ever moves forward. Outbound rows also carry the
 * dialler's work state (`dispatch_state`, attempts, lease), as outbound SMS do.
 */
@Entity({ name: 'calls' })
export class Call {
  @PrimaryColumn('text')
  id: string;

  @Column('text', { name: 'account_id' })
  accountId: string;

  @Column('text', { name: 'api_key_id', nullable: true })
  apiKeyId: string | null;

  @Column('text', { name: 'agent_id' })
  agentId: string;

  @Column('text')
  direction: CallDirection;

  /** Our number: `To` of an inbound call, `From` of an outbound one. */
  @Column('text', { name: 'our_number' })
  ourNumber: string;

  /** The caller (inbound) or callee (outbound). */
  @Column('text', { name: 'other_party' })
  otherParty: string;

  @Column('text', { name: 'from_number' })
  fromNumber: string;

  @Column('text', { name: 'to_number' })
  toNumber: string;

  @Column('text', { name: 'twilio_sid', nullable: true })
  twilioSid: string | null;

  @Column('text', { name: 'twilio_account_sid', nullable: true })
  twilioAccountSid: string | null;

  @Column('text')
  status: CallStatus;

  @Column('smallint', { name: 'status_rank' })
  statusRank: number;

  @Column('timestamptz', { name: 'status_changed_at' })
  statusChangedAt: Date;

  /** Outbound: the per-call prompt that replaces the number's custom_prompt. */
  @Column('text', { nullable: true })
  prompt: string | null;

  @Column('text', { name: 'first_message', nullable: true })
  firstMessage: string | null;

  @Column('jsonb', { nullable: true })
  metadata: Record<string, unknown> | null;

  /** The voice the call was answered with (number's, else agent's, else the default). */
  @Column('text', { nullable: true })
  voice: string | null;

  @Column('text', { name: 'end_reason', nullable: true })
  endReason: CallEndReason | null;

  @Column('text', { name: 'error_code', nullable: true })
  errorCode: string | null;

  @Column('text', { name: 'error_message', nullable: true })
  errorMessage: string | null;

  @Column('integer', { name: 'duration_s', nullable: true })
  durationS: number | null;

  @Column('text', { name: 'dispatch_state', nullable: true })
  dispatchState: DialState | null;

  @Column('integer')
  attempts: number;

  @Column('timestamptz', { name: 'next_attempt_at', nullable: true })
  nextAttemptAt: Date | null;

  @Column('timestamptz', { name: 'lease_until', nullable: true })
  leaseUntil: Date | null;

  @Column('text', { name: 'last_attempt_error', nullable: true })
  lastAttemptError: string | null;

  @Column('timestamptz', { name: 'answered_at', nullable: true })
  answeredAt: Date | null;

  /** Set once, when the call reached a final status (and `call.ended.v1` was published). */
  @Column('timestamptz', { name: 'ended_at', nullable: true })
  endedAt: Date | null;

  /** The agent's two-sentence record of the call (null: none was written, see summaryState). */
  @Column('text', { nullable: true })
  summary: string | null;

  @Column('text', { name: 'summary_state', nullable: true })
  summaryState: SummaryState | null;

  @Column('text', { name: 'post_call_sms_state', nullable: true })
  postCallSmsState: PostCallSmsState | null;

  /** The post-call SMS's message id in messaging, once accepted. */
  @Column('text', { name: 'post_call_sms_id', nullable: true })
  postCallSmsId: string | null;

  @Column('text', { name: 'post_call_sms_error', nullable: true })
  postCallSmsError: string | null;

  @Column('text', { name: 'wrapup_state', nullable: true })
  wrapupState: WrapupState | null;

  /** When the wrap-up is next due: the retry time, and the lease of a claimed run. */
  @Column('timestamptz', { name: 'wrapup_due_at', nullable: true })
  wrapupDueAt: Date | null;

  @Column('integer', { name: 'wrapup_attempts' })
  wrapupAttempts: number;

  @Column('timestamptz', { name: 'wrapup_started_at', nullable: true })
  wrapupStartedAt: Date | null;

  @Column('text', { name: 'wrapup_last_error', nullable: true })
  wrapupLastError: string | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;
}

/** One completed utterance of a call; the agent's holds only what the caller heard. */
@Entity({ name: 'call_turns' })
export class CallTurn {
  @PrimaryColumn('text', { name: 'call_id' })
  callId: string;

  @PrimaryColumn('integer')
  seq: number;

  @Column('text')
  role: 'caller' | 'agent';

  @Column('text')
  text: string;

  @Column('boolean')
  interrupted: boolean;

  @Column('timestamptz')
  at: Date;
}

@Entity({ name: 'call_status_history' })
export class CallStatusChange {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column('text', { name: 'call_id' })
  callId: string;

  @Column('text')
  status: CallStatus;

  @Column('timestamptz')
  at: Date;

  @Column('text')
  source: CallStatusSource;
}

/** `Idempotency-Key` of `POST /v1/calls`: the first answer, replayed for 24 h. */
@Entity({ name: 'idempotency_keys' })
export class CallIdempotencyKey {
  @PrimaryColumn('text', { name: 'account_id' })
  accountId: string;

  @PrimaryColumn('text')
  key: string;

  @Column('text', { name: 'request_hash' })
  requestHash: string;

  @Column('text', { name: 'call_id' })
  callId: string;

  @Column('jsonb')
  response: unknown;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;
}

export const CALL_ENTITIES = [Call, CallTurn, CallStatusChange, CallIdempotencyKey];
