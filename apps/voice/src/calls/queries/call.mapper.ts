import type { CallDto, CallStatusChangeDto, CallTurnDto } from '@nixflex/common';
import type { Call, CallStatusChange, CallTurn } from '../data/call.entities';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toCallDto(c: Call): CallDto {
  return {
    call_id: c.id,
    twilio_sid: c.twilioSid,
    direction: c.direction,
    agent_id: c.agentId,
    phone_number: c.ourNumber,
    from_number: c.fromNumber,
    to: c.toNumber,
    status: c.status,
    duration_s: c.durationS,
    end_reason: c.endReason,
    error_code: c.errorCode,
    error_message: c.errorMessage,
    voice: c.voice,
    metadata: c.metadata,
    created_at: c.createdAt.toISOString(),
    answered_at: iso(c.answeredAt),
    ended_at: iso(c.endedAt),
    updated_at: c.updatedAt.toISOString(),
  };
}

export function toCallTurn(t: CallTurn): CallTurnDto {
  return { role: t.role, text: t.text, at: t.at.toISOString(), interrupted: t.interrupted };
}

export function toCallStatusChange(h: CallStatusChange): CallStatusChangeDto {
  return { status: h.status, at: h.at.toISOString(), source: h.source };
}
