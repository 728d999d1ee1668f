import { BookingDto, ResolvedNumber } from '@nixflex/common';
import { businessNameOf, renderPostCallTemplate } from '@nixflex/common/agent';
import type { Call } from '../data/call.entities';

/** Longest post-call SMS (the SMS pipeline's cap). */
export const POST_CALL_SMS_MAX = 1600;

/**
 * How long the call lasted, in seconds: Twilio's CallDuration, else from
 * answered to ended; null when the call was never answered.
 */
export function callDurationS(call: Pick<Call, 'durationS' | 'answeredAt' | 'endedAt'>): number | null {
  if (call.durationS !== null) return call.durationS;
  if (!call.answeredAt || !call.endedAt) return null;
  return Math.max(0, Math.round((call.endedAt.getTime() - call.answeredAt.getTime()) / 1000));
}

/**
 * Whether the call talked to a person long enough for the post-call SMS:
 * `completed`, not ended as unanswered or undialled, and at least `minS`
 * seconds long.
 */
export function postCallEligible(
  call: Pick<Call, 'status' | 'endReason' | 'durationS' | 'answeredAt' | 'endedAt'>,
  minS: number,
): boolean {
  if (call.status !== 'completed') return false;
  if (call.endReason === 'not_answered' || call.endReason === 'dial_failed') return false;
  const duration = callDurationS(call);
  return duration !== null && duration >= minS;
}

/** The first booking the call made that Cal.com accepted (the one the SMS names). */
export function firstAcceptedBooking(bookings: readonly BookingDto[]): BookingDto | undefined {
  return [...bookings]
    .filter((b) => b.status === 'accepted')
    .sort((a, b) => a.created_at.localeCompare(b.created_at))[0];
}

/**
 * The post-call SMS text: the number's resolved template (its own, else its
 * agent's) with the call's values; '' when there is no template or it renders
 * to nothing. Cut to the SMS cap.
 */
export function postCallText(
  number: Pick<ResolvedNumber, 'post_call_sms_template' | 'custom_prompt' | 'agent_name'>,
  call: Pick<Call, 'otherParty' | 'prompt'>,
  summary: string | null,
  bookings: readonly BookingDto[],
): string {
  const template = number.post_call_sms_template?.trim();
  if (!template) return '';
  const booking = firstAcceptedBooking(bookings);
  const text = renderPostCallTemplate(template, {
    business_name: businessNameOf(call.prompt ?? number.custom_prompt),
    agent_name: number.agent_name,
    caller_number: call.otherParty,
    call_summary: summary,
    booking_time: booking?.start_local ?? null,
    // Cal.com's booking answer carries no link we store; documented as empty for now.
    booking_link: null,
  });
  return text.slice(0, POST_CALL_SMS_MAX);
}
