import type {
  CustomerWebhookBody,
  WebhookAttemptDto,
  WebhookDeliveryDetailDto,
  WebhookDeliveryDto,
} from '@nixflex/common';
import type { WebhookAttempt, WebhookDelivery } from '../entities';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toDeliveryDto(d: WebhookDelivery): WebhookDeliveryDto {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    url: d.url,
    phone_number: d.phoneNumber,
    agent_id: d.agentId,
    status: d.status,
    attempt_count: d.attemptCount,
    next_attempt_at: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    last_http_status: d.lastHttpStatus,
    last_error: d.lastError,
    failure_reason: d.failureReason,
    created_at: d.createdAt.toISOString(),
    delivered_at: iso(d.deliveredAt),
  };
}

export function toAttemptDto(a: WebhookAttempt): WebhookAttemptDto {
  return {
    attempt: a.attempt,
    attempted_at: a.startedAt.toISOString(),
    http_status: a.httpStatus,
    error: a.error ?? (a.finishedAt ? null : 'in progress'),
    duration_ms: a.durationMs,
  };
}

export function toDeliveryDetailDto(
  d: WebhookDelivery,
  attempts: WebhookAttempt[],
): WebhookDeliveryDetailDto {
  return {
    ...toDeliveryDto(d),
    payload: JSON.parse(d.payload) as CustomerWebhookBody,
    attempts: attempts.map(toAttemptDto),
  };
}
