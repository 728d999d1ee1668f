/**
 * Events the engine sends to customers (signed webhooks, Standard Webhooks)
 * and the commands behind the webhook-secret and delivery-log API. Any
 * service publishes `customer-events.emit.v1` through its outbox; apps/webhooks
 * resolves the target URL, stores a delivery and delivers it at least once.
 * A change to a payload is a new versioned key, never an edit.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsDefined,
  IsIn,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
} from 'class-validator';
import { IsAccountId } from './account-id';
import type { Page } from './pagination';
import { PageOf, PageQuery } from './pagination';

export const CUSTOMER_EVENT_TYPES = [
  'sms.received',
  'sms.status_updated',
  'sms.replied',
  'sms.opted_out',
  'sms.opted_in',
  'sms.reply_guarded',
  'call.started',
  'call.ended',
  'booking.created',
  'campaign.completed',
  'llm.budget_exhausted',
] as const;
export type CustomerEventType = (typeof CUSTOMER_EVENT_TYPES)[number];

/**
 * `customer-events.emit.v1`: "tell the customer this happened". Publish it in
 * the transaction of the change it announces (outbox). `event_id` is the
 * idempotency key end to end: the same id is delivered once and reaches the
 * customer as `webhook-id`, so derive it from what happened (e.g.
 * `evt_` + random, stored with the change) rather than per publish attempt.
 */
export class CustomerEventEmit {
  /** Unique per event; becomes the `webhook-id` header. */
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  event_id: string;

  @IsAccountId()
  account_id: string;

  /** The number (E.164) the event is about: its webhook_url (else its agent's) is the target. */
  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone_number: string | null;

  /** Used for the target when phone_number is null (the agent's webhook_url). */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  agent_id: string | null;

  @IsIn(CUSTOMER_EVENT_TYPES)
  type: CustomerEventType;

  /** When it happened (ISO 8601); sent to the customer as `timestamp`. */
  @IsISO8601()
  occurred_at: string;

  /** The event's own fields, sent to the customer as `data` unchanged. */
  @IsDefined()
  @IsObject()
  data: Record<string, unknown>;
}

/** What the customer receives as the JSON body of every webhook. */
export class CustomerWebhookBody {
  @ApiProperty({ description: 'The event id, also sent as the `webhook-id` header' })
  id: string;

  @ApiProperty({ enum: CUSTOMER_EVENT_TYPES, enumName: 'CustomerEventType' })
  type: CustomerEventType;

  @ApiProperty({ format: 'date-time' })
  timestamp: string;

  @ApiProperty()
  account_id: string;

  @ApiProperty({ type: String, nullable: true })
  phone_number: string | null;

  @ApiProperty({ type: String, nullable: true })
  agent_id: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, description: "The event's own fields" })
  data: Record<string, unknown>;
}

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'skipped'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** Why a delivery ended without reaching the customer. */
export const WEBHOOK_FAILURE_REASONS = [
  'retries_exhausted',
  'address_not_allowed',
  'url_not_allowed',
  'endpoint_gone',
  'endpoint_disabled',
] as const;
export type WebhookFailureReason = (typeof WEBHOOK_FAILURE_REASONS)[number];

export class WebhookAccountRef {
  @IsAccountId()
  account_id: string;
}

/** `GET /v1/webhook-deliveries` query. */
export class ListWebhookDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: WEBHOOK_DELIVERY_STATUSES, enumName: 'WebhookDeliveryStatus' })
  @IsOptional()
  @IsIn(WEBHOOK_DELIVERY_STATUSES)
  status?: WebhookDeliveryStatus;
}

export class ListWebhookDeliveriesCommand extends ListWebhookDeliveriesQuery {
  @IsAccountId()
  account_id: string;
}

export class GetWebhookDeliveryCommand {
  @IsAccountId()
  account_id: string;

  @IsString()
  @MaxLength(100)
  delivery_id: string;
}

export class WebhookSecretDto {
  /** `whsec_` + base64: give it to a Standard Webhooks verifier as is. */
  @ApiProperty({ description: '`whsec_` + base64: give it to a Standard Webhooks verifier as is' })
  secret: string;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  /** While set (24 h after a rotation), webhooks are also signed with the previous secret. */
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'While set (24 h after a rotation), webhooks are also signed with the previous secret',
  })
  previous_secret_expires_at: string | null;
}

/**
 * The broker form of WebhookSecretDto (the reply of `secret.get.v2` and
 * `secret.rotate.v2`): the webhooks service seals the secret
 * (`brokerSecretAad('webhook_secret', account_id)`) and the gateway opens it
 * for the HTTP answer, so the plaintext is never in a RabbitMQ message.
 */
export interface SealedWebhookSecret {
  secret_sealed: string;
  created_at: string;
  previous_secret_expires_at: string | null;
}

export class WebhookAttemptDto {
  @ApiProperty({ type: 'integer', minimum: 1 })
  attempt: number;

  @ApiProperty({ format: 'date-time' })
  attempted_at: string;

  /** null when no HTTP response came back (refused address, timeout, connection error). */
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'null when no HTTP response came back (refused address, timeout, connection error)',
  })
  http_status: number | null;

  @ApiProperty({ type: String, nullable: true })
  error: string | null;

  @ApiProperty({ type: 'integer', nullable: true })
  duration_ms: number | null;
}

export class WebhookDeliveryDto {
  @ApiProperty()
  id: string;

  @ApiProperty()
  event_id: string;

  @ApiProperty({ enum: CUSTOMER_EVENT_TYPES, enumName: 'CustomerEventType' })
  event_type: CustomerEventType;

  @ApiProperty()
  url: string;

  @ApiProperty({ type: String, nullable: true })
  phone_number: string | null;

  @ApiProperty({ type: String, nullable: true })
  agent_id: string | null;

  @ApiProperty({ enum: WEBHOOK_DELIVERY_STATUSES, enumName: 'WebhookDeliveryStatus' })
  status: WebhookDeliveryStatus;

  @ApiProperty({ type: 'integer' })
  attempt_count: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  next_attempt_at: string | null;

  @ApiProperty({ type: 'integer', nullable: true })
  last_http_status: number | null;

  @ApiProperty({ type: String, nullable: true })
  last_error: string | null;

  @ApiProperty({ enum: WEBHOOK_FAILURE_REASONS, enumName: 'WebhookFailureReason', nullable: true })
  failure_reason: WebhookFailureReason | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  delivered_at: string | null;
}

export class WebhookDeliveryPage extends PageOf(WebhookDeliveryDto) {}

export class WebhookDeliveryDetailDto extends WebhookDeliveryDto {
  @ApiProperty({ type: () => CustomerWebhookBody, description: 'The body sent (or to be sent)' })
  payload: CustomerWebhookBody;

  @ApiProperty({ type: () => [WebhookAttemptDto], description: 'Oldest first' })
  attempts: WebhookAttemptDto[];
}

export const CustomerEvents = {
  emit: 'customer-events.emit.v1',
} as const;

export interface CustomerEventsEventMap {
  'customer-events.emit.v1': CustomerEventEmit;
}

export const CustomerWebhooksCommands = {
  secretGet: 'customer-webhooks.secret.get.v2',
  secretRotate: 'customer-webhooks.secret.rotate.v2',
  deliveriesList: 'customer-webhooks.deliveries.list.v1',
  deliveriesGet: 'customer-webhooks.deliveries.get.v1',
} as const;

export interface CustomerWebhooksCommandMap {
  'customer-webhooks.secret.get.v2': { request: WebhookAccountRef; response: SealedWebhookSecret };
  'customer-webhooks.secret.rotate.v2': { request: WebhookAccountRef; response: SealedWebhookSecret };
  'customer-webhooks.deliveries.list.v1': {
    request: ListWebhookDeliveriesCommand;
    response: Page<WebhookDeliveryDto>;
  };
  'customer-webhooks.deliveries.get.v1': {
    request: GetWebhookDeliveryCommand;
    response: WebhookDeliveryDetailDto;
  };
}
