import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CustomerEventType, WebhookDeliveryStatus, WebhookFailureReason } from '@nixflex/common';

/** An account's signing secret, sealed (SecretBox, account id as associated data). */
@Entity({ name: 'customer_webhook_secrets' })
export class WebhookSecret {
  @PrimaryColumn('text', { name: 'account_id' })
  accountId: string;

  @Column('text', { name: 'secret_sealed' })
  secretSealed: string;

  @Column('text', { name: 'previous_secret_sealed', nullable: true })
  previousSecretSealed: string | null;

  @Column({ name: 'previous_expires_at', type: 'timestamptz', precision: 3, nullable: true })
  previousExpiresAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;
}

/** A URL that answered 410 Gone: nothing more is sent to it until the number/agent URL changes. */
@Entity({ name: 'customer_webhook_endpoints' })
export class WebhookEndpoint {
  @PrimaryColumn('text', { name: 'account_id' })
  accountId: string;

  @PrimaryColumn('text')
  url: string;

  @Column({ name: 'disabled_at', type: 'timestamptz', precision: 3 })
  disabledAt: Date;

  @Column('text', { name: 'disabled_reason' })
  disabledReason: string;

  @Column('text', { name: 'disabled_by_delivery_id', nullable: true })
  disabledByDeliveryId: string | null;
}

/** One customer event on its way to one URL. `payload` is the exact body signed and sent. */
@Entity({ name: 'customer_webhook_deliveries' })
export class WebhookDelivery {
  @PrimaryColumn('text')
  id: string;

  @Column('text', { name: 'account_id' })
  accountId: string;

  @Column('text', { name: 'event_id' })
  eventId: string;

  @Column('text', { name: 'event_type' })
  eventType: CustomerEventType;

  @Column('text', { name: 'phone_number', nullable: true })
  phoneNumber: string | null;

  @Column('text', { name: 'agent_id', nullable: true })
  agentId: string | null;

  @Column('text')
  url: string;

  @Column('text')
  payload: string;

  @Column('text')
  status: WebhookDeliveryStatus;

  @Column('int', { name: 'attempt_count' })
  attemptCount: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', precision: 3, nullable: true })
  nextAttemptAt: Date | null;

  @Column('uuid', { name: 'claim_token', nullable: true })
  claimToken: string | null;

  @Column('int', { name: 'last_http_status', nullable: true })
  lastHttpStatus: number | null;

  @Column('text', { name: 'last_error', nullable: true })
  lastError: string | null;

  @Column('text', { name: 'failure_reason', nullable: true })
  failureReason: WebhookFailureReason | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', precision: 3, nullable: true })
  deliveredAt: Date | null;
}

/** One attempt: finished_at is null while in flight, or forever if the process died mid-attempt. */
@Entity({ name: 'customer_webhook_attempts' })
export class WebhookAttempt {
  @PrimaryColumn('text', { name: 'delivery_id' })
  deliveryId: string;

  @PrimaryColumn('int')
  attempt: number;

  @Column({ name: 'started_at', type: 'timestamptz', precision: 3 })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', precision: 3, nullable: true })
  finishedAt: Date | null;

  @Column('int', { name: 'duration_ms', nullable: true })
  durationMs: number | null;

  @Column('int', { name: 'http_status', nullable: true })
  httpStatus: number | null;

  @Column('text', { nullable: true })
  error: string | null;
}

export const CUSTOMER_WEBHOOK_ENTITIES = [WebhookSecret, WebhookEndpoint, WebhookDelivery, WebhookAttempt];
