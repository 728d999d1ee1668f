import type { BookingDto } from '@nixflex/common';
import { sayableTime } from '@nixflex/common/calcom';
import { Booking } from './booking.entity';

export function toBookingDto(b: Booking): BookingDto {
  return {
    booking_id: b.id,
    phone_number: b.phoneNumber,
    agent_id: b.agentId,
    contact: b.contact,
    call_id: b.callId,
    message_id: b.messageId,
    status: b.status,
    calcom_uid: b.calcomUid,
    start: b.start.toISOString(),
    end: b.end ? b.end.toISOString() : null,
    time_zone: b.timeZone,
    start_local: sayableTime(b.start, b.timeZone),
    attendee_name: b.attendeeName,
    attendee_email: b.attendeeEmail,
    error_code: b.errorCode,
    error_message: b.errorMessage,
    created_at: b.createdAt.toISOString(),
  };
}
