import { Injectable, Logger } from '@nestjs/common';
import {
  BookingDto,
  CalendarAvailability,
  CalendarAvailabilityCommand,
  CalendarBookCommand,
  CalendarErrorCode,
  CalendarSlot,
  CalendarToolResult,
  CustomerEvents,
  ListBookingsCommand,
  Outbox,
  Page,
  SecretBox,
  config,
  newId,
  toE164,
} from '@nixflex/common';
import {
  CalcomClient,
  CalcomError,
  addDays,
  dateIn,
  daysBetween,
  isDate,
  parseStart,
  todayIn,
} from '@nixflex/common/calcom';
import { mapPage } from '@nixflex/common/db/keyset';
import { PhoneNumber } from '../phone-numbers/phone-number.entity';
import { PhoneNumbersRepository } from '../phone-numbers/phone-numbers.repository';
import { Booking } from './booking.entity';
import { toBookingDto } from './booking.mapper';
import { BookingsRepository } from './bookings.repository';
import { SAY, SAY_PAST, SAY_RANGE_TOO_LONG, slotUnavailableMessage } from './calendar-messages';
import { nearbySlots, spreadSlots, toSlot } from './slots';

/** Longest range one availability question may cover (to_date - from_date, in days). */
export const MAX_RANGE_DAYS = 14;
/** Days after the asked one searched for alternatives to a taken slot. */
const ALTERNATIVE_DAYS = 6;

/** A number from a query string, where a `+` may have become a space; anything else filters as given. */
function e164Filter(raw: string): string {
  const text = raw.trim();
  return toE164(text) ?? (/^\d+$/.test(text) ? (toE164(`+${text}`) ?? raw) : raw);
}

type Calendar = { number: PhoneNumber; eventTypeId: string; sealedKey: string; zone: string };

function failure<T>(
  code: CalendarErrorCode,
  message?: string,
  alternatives?: CalendarSlot[],
): CalendarToolResult<T> {
  const text = message ?? (code === 'slot_unavailable' ? "That time isn't available." : SAY[code]);
  return { ok: false, error: { code, message: text, ...(alternatives?.length ? { alternatives } : {}) } };
}

/**
 * The agent's calendar actions on a number's Cal.com calendar: free slots,
 * and idempotent booking with a record of every attempt. Only this service
 * opens the number's Cal.com key; it never leaves here, in a result or a log.
 */
@Injectable()
export class CalendarService {
  private readonly logger = new Logger('Calendar');
  private readonly box = new SecretBox(config().credentialsEncryptionKeys);

  constructor(
    private readonly numbers: PhoneNumbersRepository,
    private readonly bookings: BookingsRepository,
    private readonly calcom: CalcomClient,
    private readonly outbox: Outbox,
  ) {}

  async availability(cmd: CalendarAvailabilityCommand): Promise<CalendarToolResult<CalendarAvailability>> {
    const cal = await this.calendarOf(cmd.account_id, cmd.phone_number);
    if (!cal) return failure('calendar_not_configured');
    if (!isDate(cmd.from_date) || !isDate(cmd.to_date)) return failure('invalid_time');
    const today = todayIn(cal.zone);
    if (cmd.to_date < today) return failure('invalid_time', SAY_PAST);
    const span = daysBetween(cmd.from_date, cmd.to_date);
    if (span < 0) return failure('invalid_time');
    if (span > MAX_RANGE_DAYS) return failure('invalid_time', SAY_RANGE_TOO_LONG);
    const from = cmd.from_date < today ? today : cmd.from_date;
    try {
      const now = Date.now();
      const free = (
        await this.calcom.slots(this.keyOf(cal), cal.eventTypeId, from, cmd.to_date, cal.zone)
      ).filter((ms) => ms > now);
      return {
        ok: true,
        value: { time_zone: cal.zone, slots: spreadSlots(free, cal.zone).map((ms) => toSlot(ms, cal.zone)) },
      };
    } catch (err) {
      if (!(err instanceof CalcomError)) throw err;
      this.logger.warn(`availability of ${cal.number.phoneNumber}: ${err.code} (${err.message})`);
      return failure(err.code);
    }
  }

  /**
   * Books once per (account, idempotency_key): the key is claimed with a
   * `pending` row before Cal.com is asked, so a repeat (a redelivered command,
   * a retried turn) finds the recorded outcome instead of booking again.
   */
  async book(cmd: CalendarBookCommand): Promise<CalendarToolResult<BookingDto>> {
    const cal = await this.calendarOf(cmd.account_id, cmd.phone_number);
    if (!cal) return failure('calendar_not_configured');
    const startMs = parseStart(cmd.start, cal.zone);
    if (startMs === undefined) return failure('invalid_time');
    if (startMs <= Date.now()) return failure('invalid_time', SAY_PAST);

    let id = newId('bkg');
    const claim = await this.bookings.claim({
      id,
      accountId: cmd.account_id,
      phoneNumber: cal.number.phoneNumber,
      agentId: cal.number.agentId,
      contact: cmd.contact,
      callId: cmd.source?.call_id ?? null,
      messageId: cmd.source?.message_id ?? null,
      idempotencyKey: cmd.idempotency_key,
      status: 'pending',
      calcomUid: null,
      calcomId: null,
      start: new Date(startMs),
      end: null,
      timeZone: cal.zone,
      attendeeName: cmd.name,
      attendeeEmail: cmd.email ?? null,
      notes: cmd.notes ?? null,
      errorCode: null,
      errorMessage: null,
      alternatives: null,
    });
    let row: Booking | undefined;
    if (!claim.claimed) {
      const held = await this.settled(claim.row);
      if (held.status !== 'pending') return this.resultOf(held);
      if (!(await this.bookings.takeOverStale(held.id))) return failure('calendar_timeout');
      id = held.id;
      row = held;
    }
    const attendee = row ?? {
      attendeeName: cmd.name,
      attendeeEmail: cmd.email ?? null,
      notes: cmd.notes ?? null,
    };
    const asked = row ? row.start.getTime() : startMs;
    const key = this.keyOf(cal);
    try {
      const b = await this.calcom.book(key, {
        eventTypeId: cal.eventTypeId,
        start: new Date(asked).toISOString(),
        name: attendee.attendeeName,
        email: attendee.attendeeEmail,
        phoneNumber: row?.contact ?? cmd.contact,
        timeZone: cal.zone,
        notes: attendee.notes,
      });
      const saved = await this.bookings.transaction(async (m) => {
        const done = await this.bookings.finish(m, id, {
          status: 'accepted',
          calcomUid: b.uid,
          calcomId: b.id === null ? null : String(b.id),
          start: new Date(b.start),
          end: b.end ? new Date(b.end) : null,
        });
        const dto = toBookingDto(done);
        await this.outbox.add(m, CustomerEvents.emit, {
          event_id: `evt_booking_${done.id}`,
          account_id: done.accountId,
          phone_number: done.phoneNumber,
          agent_id: done.agentId,
          type: 'booking.created',
          occurred_at: done.updatedAt.toISOString(),
          data: { ...dto, account_id: done.accountId },
        });
        return done;
      });
      this.outbox.kick();
      this.logger.log(
        `booked ${saved.id} on ${saved.phoneNumber} at ${saved.start.toISOString()} (Cal.com ${b.uid})`,
      );
      return this.resultOf(saved);
    } catch (err) {
      if (!(err instanceof CalcomError)) throw err;
      this.logger.warn(`booking ${id} on ${cal.number.phoneNumber}: ${err.code} (${err.message})`);
      let alternatives: CalendarSlot[] = [];
      let message: string | undefined;
      if (err.code === 'slot_unavailable') {
        alternatives = await this.alternatives(key, cal, asked);
        message = slotUnavailableMessage(err.status === 409, asked, alternatives, cal.zone);
      }
      const failed = await this.bookings.transaction((m) =>
        this.bookings.finish(m, id, {
          status: 'failed',
          errorCode: err.code,
          errorMessage: message ?? SAY[err.code as Exclude<CalendarErrorCode, 'slot_unavailable'>],
          alternatives: alternatives.length ? alternatives : null,
        }),
      );
      return this.resultOf(failed);
    }
  }

  async list(cmd: ListBookingsCommand): Promise<Page<BookingDto>> {
    const filter = {
      ...cmd,
      ...(cmd.phone_number !== undefined ? { phone_number: e164Filter(cmd.phone_number) } : {}),
      ...(cmd.contact !== undefined ? { contact: e164Filter(cmd.contact) } : {}),
    };
    return mapPage(await this.bookings.page(filter), toBookingDto);
  }

  private resultOf(b: Booking): CalendarToolResult<BookingDto> {
    if (b.status === 'failed') {
      return failure(
        (b.errorCode ?? 'calendar_unavailable') as CalendarErrorCode,
        b.errorMessage ?? undefined,
        b.alternatives ?? [],
      );
    }
    return { ok: true, value: toBookingDto(b) };
  }

  /** Waits for an attempt in flight under the same key: it takes at most two Cal.com calls (book, alternatives). */
  private async settled(b: Booking): Promise<Booking> {
    const deadline = Date.now() + 2 * config().calcom.timeoutMs + 1000;
    let current = b;
    while (current.status === 'pending' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      current = (await this.bookings.byKey(b.accountId, b.idempotencyKey)) ?? current;
    }
    return current;
  }

  /** Free slots near a taken one: same day first, else the next days. Best effort: none when Cal.com fails. */
  private async alternatives(key: string, cal: Calendar, askedMs: number): Promise<CalendarSlot[]> {
    const day = dateIn(askedMs, cal.zone);
    try {
      const now = Date.now();
      const free = (
        await this.calcom.slots(key, cal.eventTypeId, day, addDays(day, ALTERNATIVE_DAYS), cal.zone)
      ).filter((ms) => ms > now);
      return nearbySlots(free, askedMs, cal.zone).map((ms) => toSlot(ms, cal.zone));
    } catch (err) {
      this.logger.warn(`alternatives on ${cal.number.phoneNumber}: ${(err as Error).message}`);
      return [];
    }
  }

  private async calendarOf(accountId: string, phone: string): Promise<Calendar | undefined> {
    const n = await this.numbers.findActive(phone, accountId);
    if (!n?.calendarEventTypeId || !n.calendarApiKeySealed) return undefined;
    return {
      number: n,
      eventTypeId: n.calendarEventTypeId,
      sealedKey: n.calendarApiKeySealed,
      zone: n.calendarTimeZone,
    };
  }

  private keyOf(cal: Calendar): string {
    return this.box.decrypt(cal.sealedKey, cal.number.phoneNumber);
  }
}
