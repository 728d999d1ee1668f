import type { BookingDto } from '@nixflex/common';
import { callDurationS, firstAcceptedBooking, postCallEligible, postCallText } from './post-call-sms';

const ended = new Date('2026-12-01T10:00:30Z');
const answered = new Date('2026-12-01T10:00:00Z');
const call = {
  status: 'completed' as const,
  endReason: 'caller_hung_up' as const,
  durationS: null,
  answeredAt: answered,
  endedAt: ended,
};

function booking(over: Partial<BookingDto>): BookingDto {
  return {
    booking_id: 'bkg_0123456789abcdef',
    phone_number: '+447446466847',
    agent_id: 'agent_1',
    contact: '+447700900123',
    call_id: 'call_0123456789abcdef',
    message_id: null,
    status: 'accepted',
    calcom_uid: 'uid',
    start: '2026-12-03T09:00:00Z',
    end: null,
    time_zone: 'Europe/London',
    start_local: 'Thursday 3 December, 9:00 am',
    attendee_name: 'Sam',
    attendee_email: null,
    error_code: null,
    error_message: null,
    created_at: '2026-12-01T10:00:10Z',
    ...over,
  };
}

describe('post-call SMS', () => {
  it("takes Twilio's duration, else answered to ended", () => {
    expect(callDurationS({ ...call, durationS: 12 })).toBe(12);
    expect(callDurationS(call)).toBe(30);
    expect(callDurationS({ ...call, answeredAt: null })).toBeNull();
  });

  it('is for completed calls at least the minimum long, never unanswered or undialled ones', () => {
    expect(postCallEligible(call, 10)).toBe(true);
    expect(postCallEligible(call, 31)).toBe(false);
    expect(postCallEligible({ ...call, status: 'no-answer', endReason: 'not_answered' }, 0)).toBe(false);
    expect(postCallEligible({ ...call, status: 'busy' }, 0)).toBe(false);
    expect(postCallEligible({ ...call, endReason: 'dial_failed' }, 0)).toBe(false);
    expect(postCallEligible({ ...call, answeredAt: null }, 0)).toBe(false);
  });

  it('names the first accepted booking', () => {
    const first = booking({ booking_id: 'bkg_1', created_at: '2026-12-01T10:00:05Z', status: 'failed' });
    const second = booking({ booking_id: 'bkg_2', created_at: '2026-12-01T10:00:07Z' });
    const third = booking({ booking_id: 'bkg_3', created_at: '2026-12-01T10:00:09Z' });
    expect(firstAcceptedBooking([third, first, second])?.booking_id).toBe('bkg_2');
    expect(firstAcceptedBooking([first])).toBeUndefined();
  });

  it('renders the template with the business, the caller, the summary and the booking time', () => {
    const number = {
      post_call_sms_template:
        'Thanks for calling {{business_name}}, {{caller_number}}! {{call_summary}} See you {{booking_time}}. {{booking_link}}',
      custom_prompt: 'Business name: Bright Bite Leeds',
      agent_name: 'Receptionist',
    };
    const text = postCallText(
      number,
      { otherParty: '+447700900123', prompt: null },
      'The caller booked a check-up.',
      [booking({})],
    );
    expect(text).toBe(
      'Thanks for calling Bright Bite Leeds, +447700900123! The caller booked a check-up. See you Thursday 3 December, 9:00 am.',
    );
  });

  it('renders nothing without a template, and at most 1600 characters', () => {
    const base = { custom_prompt: null, agent_name: 'A' };
    const c = { otherParty: '+447700900123', prompt: null };
    expect(postCallText({ ...base, post_call_sms_template: null }, c, null, [])).toBe('');
    expect(postCallText({ ...base, post_call_sms_template: '  ' }, c, null, [])).toBe('');
    const long = postCallText(
      { ...base, post_call_sms_template: '{{call_summary}}' },
      c,
      'x'.repeat(2000),
      [],
    );
    expect(long).toHaveLength(1600);
  });
});
