import { DateTime } from 'luxon';

/**
 * The sandbox's calendars: event types with weekly availability, and the
 * bookings that take their slots. Pure functions of the state and a clock,
 * so the HTTP layer only parses and answers.
 */

export interface Availability {
  /** ISO weekdays (1 = Monday ... 7 = Sunday). */
  days: number[];
  /** `HH:mm`, wall time in the event type's time zone. */
  start: string;
  end: string;
}

export interface EventTypeConfig {
  availability: Availability;
  slot_minutes: number;
  time_zone: string;
  /** Attendees may give a phone number instead of an email. */
  phone_only: boolean;
  /** Keys accepted for this event type; null = the default rule (`cal_test_`/`cal_live_`, not `revoked`). */
  api_keys: string[] | null;
}

export interface Attendee {
  name: string;
  email: string | null;
  timeZone: string;
  phoneNumber: string | null;
}

export interface Booking {
  id: number;
  uid: string;
  eventTypeId: string;
  start: string;
  end: string;
  status: 'accepted' | 'cancelled';
  attendees: Attendee[];
  notes: string | null;
  createdAt: string;
  cancellationReason: string | null;
}

export function defaultEventType(): EventTypeConfig {
  return {
    availability: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' },
    slot_minutes: 30,
    time_zone: 'Europe/London',
    phone_only: false,
    api_keys: null,
  };
}

export function defaultKeyAccepted(key: string): boolean {
  return /^cal_(test|live)_/.test(key) && !key.includes('revoked');
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/**
 * Every slot the availability offers whose start lies in [from, to), as UTC
 * instants (ms), ignoring bookings and the clock.
 */
export function offeredSlots(et: EventTypeConfig, from: DateTime, to: DateTime): number[] {
  const out: number[] = [];
  const first = minutesOf(et.availability.start);
  const last = minutesOf(et.availability.end);
  let day = from.setZone(et.time_zone).startOf('day').minus({ days: 1 });
  const stop = to.setZone(et.time_zone).endOf('day');
  while (day <= stop) {
    if (et.availability.days.includes(day.weekday)) {
      for (let m = first; m + et.slot_minutes <= last; m += et.slot_minutes) {
        const at = day.set({ hour: Math.floor(m / 60), minute: m % 60 });
        // A wall time that does not exist (spring forward) moves; skip it rather than offer it twice.
        if (at.hour * 60 + at.minute !== m) continue;
        const ms = at.toMillis();
        if (ms >= from.toMillis() && ms < to.toMillis()) out.push(ms);
      }
    }
    day = day.plus({ days: 1 });
  }
  return out;
}

export type SlotCheck = 'free' | 'taken' | 'outside' | 'past';

export class Calendars {
  eventTypes = new Map<string, EventTypeConfig>();
  bookings: Booking[] = [];
  private nextId = 1;
  /** Clock override (ms) for tests; null = the real clock. */
  nowOverride: number | null = null;

  now(): number {
    return this.nowOverride ?? Date.now();
  }

  eventType(id: string): EventTypeConfig {
    return this.eventTypes.get(id) ?? defaultEventType();
  }

  keyAccepted(eventTypeId: string, key: string): boolean {
    const keys = this.eventType(eventTypeId).api_keys;
    return keys ? keys.includes(key) : defaultKeyAccepted(key);
  }

  private takenAt(eventTypeId: string, ms: number): boolean {
    return this.bookings.some(
      (b) => b.eventTypeId === eventTypeId && b.status === 'accepted' && Date.parse(b.start) === ms,
    );
  }

  /** Free slots (UTC ms) in [from, to): offered, not booked, not in the past. */
  freeSlots(eventTypeId: string, from: DateTime, to: DateTime): number[] {
    const now = this.now();
    return offeredSlots(this.eventType(eventTypeId), from, to).filter(
      (ms) => ms > now && !this.takenAt(eventTypeId, ms),
    );
  }

  check(eventTypeId: string, ms: number): SlotCheck {
    if (ms <= this.now()) return 'past';
    const at = DateTime.fromMillis(ms, { zone: 'utc' });
    const offered = offeredSlots(this.eventType(eventTypeId), at, at.plus({ milliseconds: 1 }));
    if (!offered.includes(ms)) return 'outside';
    return this.takenAt(eventTypeId, ms) ? 'taken' : 'free';
  }

  book(eventTypeId: string, ms: number, attendee: Attendee, notes: string | null): Booking {
    const et = this.eventType(eventTypeId);
    const id = this.nextId++;
    const booking: Booking = {
      id,
      uid: `sbx${id.toString(36)}${Math.random().toString(36).slice(2, 10)}`,
      eventTypeId,
      start: new Date(ms).toISOString(),
      end: new Date(ms + et.slot_minutes * 60_000).toISOString(),
      status: 'accepted',
      attendees: [attendee],
      notes,
      createdAt: new Date(this.now()).toISOString(),
      cancellationReason: null,
    };
    this.bookings.push(booking);
    return booking;
  }

  reset(): void {
    this.eventTypes.clear();
    this.bookings = [];
    this.nowOverride = null;
  }
}
