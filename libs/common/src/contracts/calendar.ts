/**
 * Contracts of the agent's calendar actions. A number's Cal.com calendar
 * (sealed key, event type, time zone) belongs to apps/numbers, which is the
 * only service that talks to Cal.com and the owner of every booking: voice
 * (during a call) and messaging (in an SMS conversation) ask it to look up
 * free slots and to book, and it records each booking (or failed attempt),
 * announcing `booking.created` through its outbox in the same transaction.
 *
 * The two tool commands never throw for Cal.com's answers: they reply with a
 * `CalendarToolResult`, whose `error` carries a stable code and words the
 * agent can say. A change to a payload is a new versioned key, never an edit.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { IsAccountId } from './account-id';
import type { Page } from './pagination';
import { PageOf, PageQuery } from './pagination';

export const BOOKING_STATUSES = ['accepted', 'pending', 'cancelled', 'failed'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

/**
 * Why a calendar action did not succeed; each comes with a message the agent
 * can say to the caller as it is.
 * - `calendar_not_configured`: the number has no calendar (tools are not offered then);
 * - `invalid_time`: the date or time could not be understood, or is in the past;
 * - `slot_unavailable`: the time was taken meanwhile or is outside availability
 *   (the result lists nearby free slots when it could find them);
 * - `calendar_auth_failed`: Cal.com refused the number's API key (401/403);
 * - `calendar_rate_limited`: Cal.com answered 429;
 * - `calendar_unavailable`: Cal.com failed (5xx, connection refused);
 * - `calendar_timeout`: Cal.com did not answer in time;
 * - `email_required`: the event type needs the attendee's email (ask for one).
 */
export const CALENDAR_ERROR_CODES = [
  'calendar_not_configured',
  'invalid_time',
  'slot_unavailable',
  'calendar_auth_failed',
  'calendar_rate_limited',
  'calendar_unavailable',
  'calendar_timeout',
  'email_required',
] as const;
export type CalendarErrorCode = (typeof CALENDAR_ERROR_CODES)[number];

/** One free slot, in UTC and as the number's time zone says it. */
export interface CalendarSlot {
  /** UTC, ISO 8601 (`2026-12-03T09:00:00.000Z`): what `book_appointment` takes. */
  start: string;
  /** Wall time in the number's time zone, as a person says it: `Thursday 3 December, 9:00 am`. */
  local: string;
}

/** Where a booking was made from: a call, or an SMS conversation (the inbound message answered). */
export class BookingSource {
  @IsOptional()
  @IsString()
  @MaxLength(64)
  call_id?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  message_id?: string | null;
}

/** `calendar.availability.v1`: free slots of a number's calendar between two dates (inclusive). */
export class CalendarAvailabilityCommand {
  @IsAccountId()
  account_id: string;

  /** Our number (E.164), whose calendar is asked. */
  @IsString()
  @MaxLength(32)
  phone_number: string;

  /** `YYYY-MM-DD` in the number's time zone. */
  @Matches(/^\d{4}-\d{2}-\d{2}$/)
  from_date: string;

  /** `YYYY-MM-DD` in the number's time zone; at most 14 days after from_date. */
  @Matches(/^\d{4}-\d{2}-\d{2}$/)
  to_date: string;
}

/** `calendar.book.v1`: books one slot on a number's calendar. Idempotent on `idempotency_key`. */
export class CalendarBookCommand {
  @IsAccountId()
  account_id: string;

  @IsString()
  @MaxLength(32)
  phone_number: string;

  /** e.g. `call_x:turn:3:tool:call_abc`: the same key books (and records) once. */
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  idempotency_key: string;

  /** ISO 8601; with an offset or `Z` it is that instant, without one it is wall time in the number's time zone. */
  @IsString()
  @MaxLength(40)
  start: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @IsOptional()
  @IsEmail()
  @MaxLength(200)
  email?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  notes?: string | null;

  /** The caller / texter (E.164): the attendee's phone number and the booking's contact. */
  @IsString()
  @MaxLength(32)
  contact: string;

  @IsOptional()
  source?: BookingSource;
}

/** What a calendar tool command answers: never an exception for Cal.com's own answers. */
export interface CalendarToolResult<T> {
  ok: boolean;
  /** On success. */
  value?: T;
  /** On failure: a stable code, and a message the agent can say as it is. */
  error?: {
    code: CalendarErrorCode;
    message: string;
    /** slot_unavailable: free slots near the asked time, when they could be found. */
    alternatives?: CalendarSlot[];
  };
}

export interface CalendarAvailability {
  time_zone: string;
  slots: CalendarSlot[];
}

export class BookingDto {
  @ApiProperty({ example: 'bkg_0123456789abcdef' })
  booking_id: string;

  @ApiProperty({ description: 'Our number (E.164) whose calendar was booked' })
  phone_number: string;

  @ApiProperty()
  agent_id: string;

  @ApiProperty({ description: 'The caller or texter (E.164) the booking is for' })
  contact: string;

  @ApiProperty({ type: String, nullable: true, description: 'The call it was booked in' })
  call_id: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The SMS it was booked in answer to' })
  message_id: string | null;

  @ApiProperty({ enum: BOOKING_STATUSES, enumName: 'BookingStatus' })
  status: BookingStatus;

  @ApiProperty({ type: String, nullable: true, description: "Cal.com's booking uid" })
  calcom_uid: string | null;

  @ApiProperty({ format: 'date-time', description: 'UTC' })
  start: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'UTC' })
  end: string | null;

  @ApiProperty({ example: 'Europe/London', description: "The number's calendar time zone" })
  time_zone: string;

  @ApiProperty({ example: 'Thursday 3 December, 9:00 am', description: '`start` in `time_zone`, as said' })
  start_local: string;

  @ApiProperty()
  attendee_name: string;

  @ApiProperty({ type: String, nullable: true })
  attendee_email: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Failed attempts: why (see CalendarErrorCode)' })
  error_code: string | null;

  @ApiProperty({ type: String, nullable: true })
  error_message: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;
}

export class BookingPage extends PageOf(BookingDto) {}

/** `GET /v1/bookings` query. */
export class ListBookingsQuery extends PageQuery {
  @ApiPropertyOptional({ maxLength: 32, description: 'Only bookings on this number of ours (E.164)' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone_number?: string;

  @ApiPropertyOptional({ maxLength: 64, description: 'Only bookings made in this call' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  call_id?: string;

  @ApiPropertyOptional({ enum: BOOKING_STATUSES, enumName: 'BookingStatus' })
  @IsOptional()
  @IsIn(BOOKING_STATUSES)
  status?: BookingStatus;
}

export class ListBookingsCommand extends ListBookingsQuery {
  @IsAccountId()
  account_id: string;

  /** Only bookings with this contact (used with phone_number: an SMS thread's bookings). */
  @IsOptional()
  @IsString()
  @MaxLength(32)
  contact?: string;
}

/** `booking.created` (customer event) and `booking.created.v1` carry the booking as it was recorded. */
export type BookingCreatedEvent = BookingDto & { account_id: string };

export const CalendarCommands = {
  availability: 'calendar.availability.v1',
  book: 'calendar.book.v1',
  bookingsList: 'bookings.list.v1',
} as const;

export interface CalendarCommandMap {
  'calendar.availability.v1': {
    request: CalendarAvailabilityCommand;
    response: CalendarToolResult<CalendarAvailability>;
  };
  'calendar.book.v1': { request: CalendarBookCommand; response: CalendarToolResult<BookingDto> };
  'bookings.list.v1': { request: ListBookingsCommand; response: Page<BookingDto> };
}
