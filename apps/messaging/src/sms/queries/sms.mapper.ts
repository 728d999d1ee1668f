import type { SmsDto, SmsSource, SmsStatusChange } from '@nixflex/common';
import { SmsMessage, SmsStatusHistory } from '../data';

export function toSmsDto(m: SmsMessage): SmsDto & { soft_failure_at: string | null } {
  return {
    message_id: m.id,
    twilio_sid: m.twilioSid,
    direction: m.direction,
    agent_id: m.agentId,
    from_number: m.fromNumber,
    to: m.toNumber,
    message: m.body,
    status: m.status,
    soft_failure: m.softFailure,
    soft_failure_at: m.softFailureAt ? m.softFailureAt.toISOString() : null,
    error_code: m.errorCode,
    error_message: m.errorMessage,
    segments: m.segments,
    encoding: m.encoding,
    estimated_cost: m.estimatedCost,
    in_reply_to: m.inReplyTo,
    source: m.source as SmsSource,
    call_id: m.callId,
    campaign_id: m.campaignId,
    scheduled_for: m.scheduledFor ? m.scheduledFor.toISOString() : null,
    expires_at: m.expiresAt ? m.expiresAt.toISOString() : null,
    created_at: m.createdAt.toISOString(),
    updated_at: m.updatedAt.toISOString(),
  };
}

export function toStatusChange(h: SmsStatusHistory): SmsStatusChange {
  return { status: h.status, error_code: h.errorCode, at: h.occurredAt.toISOString(), source: h.source };
}
