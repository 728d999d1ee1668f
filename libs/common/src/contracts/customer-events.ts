/**
 * Events the engine sends to customers (signed webhooks, Standard Webhooks)
 * and the commands behind the webhook-secret and delivery-log API. Any
 * service publishes `customer-events.emit.v1` through its outbox; apps/webhooks
 * resolves the target URL, stores a delivery and delivers it at least once.
 * A change to a payload is a new versioned key, never an edit.
 */
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
import { PageQuery } from './pagination';

export const CUSTOMER_EVENT_TYPES = [
  'sms.received',
  'sms.status_updated',
  'sms.replied',
  'sms.opted_out',
  'sms.opted_in',
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
export interface CustomerWebhookBody {
  id: string;
  type: CustomerEventType;
  timestamp: string;
  account_id: string;
  phone_number: string | null;
  agent_id: string | null;
  data: Record<string, unknown>;
}

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'skipped'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** Why a delivery ended without reaching the customer. */
export type WebhookFailureReason =
  'retries_exhausted' | 'address_not_allowed' | 'url_not_allowed' | 'endpoint_gone' | 'endpoint_disabled';

export class WebhookAccountRef {
  @IsAccountId()
  account_id: string;
}

/** `GET /v1/webhook-deliveries` query. */
export class ListWebhookDeliveriesQuery extends PageQuery {
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

export interface WebhookSecretDto {
  /** `whsec_` + base64: give it to a Standard Webhooks verifier as is. */
  secret: string;
  created_at: string;
  /** While set (24 h after a rotation), webhooks are also signed with the previous secret. */
  previous_secret_expires_at: string | null;
}

export interface WebhookAttemptDto {
  attempt: number;
  attempted_at: string;
  /** null when no HTTP response came back (refused address, timeout, connection error). */
  http_status: number | null;
  error: string | null;
  duration_ms: number | null;
}

export interface WebhookDeliveryDto {
  id: string;
  event_id: string;
  event_type: CustomerEventType;
  url: string;
  phone_number: string | null;
  agent_id: string | null;
  status: WebhookDeliveryStatus;
  attempt_count: number;
  next_attempt_at: string | null;
  last_http_status: number | null;
  last_error: string | null;
  failure_reason: WebhookFailureReason | null;
  created_at: string;
  delivered_at: string | null;
}

export interface WebhookDeliveryDetailDto extends WebhookDeliveryDto {
  payload: CustomerWebhookBody;
  attempts: WebhookAttemptDto[];
}

export const CustomerEvents = {
  emit: 'customer-events.emit.v1',
} as const;

export interface CustomerEventsEventMap {
  'customer-events.emit.v1': CustomerEventEmit;
}

export const CustomerWebhooksCommands = {
  secretGet: 'customer-webhooks.secret.get.v1',
  secretRotate: 'customer-webhooks.secret.rotate.v1',
  deliveriesList: 'customer-webhooks.deliveries.list.v1',
  deliveriesGet: 'customer-webhooks.deliveries.get.v1',
} as const;

export interface CustomerWebhooksCommandMap {
  'customer-webhooks.secret.get.v1': { request: WebhookAccountRef; response: WebhookSecretDto };
  'customer-webhooks.secret.rotate.v1': { request: WebhookAccountRef; response: WebhookSecretDto };
  'customer-webhooks.deliveries.list.v1': {
    request: ListWebhookDeliveriesCommand;
    response: Page<WebhookDeliveryDto>;
  };
  'customer-webhooks.deliveries.get.v1': {
    request: GetWebhookDeliveryCommand;
    response: WebhookDeliveryDetailDto;
  };
}
