import { DateTime, IANAZone } from 'luxon';

/** Is this an IANA time zone luxon (and so Intl) knows, e.g. `Europe/London`? */
export function isTimeZone(zone: unknown): zone is string {
  return typeof zone === 'string' && zone.length <= 64 && IANAZone.isValidZone(zone);
}

/** A UTC instant as a person says it in `zone`: `Thursday 3 December, 9:00 am`. */
export function sayableTime(instant: string | number | Date, zone: string): string {
  const ms =
    instant instanceof Date ? instant.getTime() : typeof instant === 'number' ? instant : Date.parse(instant);
  const dt = DateTime.fromMillis(ms, { zone, locale: 'en' });
  return `${dt.toFormat('cccc d LLLL, h:mm')} ${dt.hour < 12 ? 'am' : 'pm'}`;
}

/** Just the clock part (`10:30 am`), for alternatives on the same day. */
export function sayableClock(instant: string | number, zone: string): string {
  const dt = DateTime.fromMillis(typeof instant === 'number' ? instant : Date.parse(instant), {
    zone,
    locale: 'en',
  });
  return `${dt.toFormat('h:mm')} ${dt.hour < 12 ? 'am' : 'pm'}`;
}

const OFFSET = /(Z|[+-]\d{2}(:?\d{2})?)$/i;

/**
 * A booking's `start` as an instant (ms): with an offset or `Z` it is that
 * instant, without one it is wall time in `zone`. Undefined when it cannot be
 * understood (or names a wall time that does not exist in the zone).
 */
export function parseStart(start: string, zone: string): number | undefined {
  const text = start.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)) return undefined;
  const withOffset = OFFSET.test(text);
  const dt = withOffset ? DateTime.fromISO(text, { setZone: true }) : DateTime.fromISO(text, { zone });
  if (!dt.isValid) return undefined;
  if (!withOffset) {
    // luxon moves a wall time skipped by a DST change; such a time was not a real one.
    const wall = DateTime.fromISO(text, { zone: 'utc' });
    if (dt.hour !== wall.hour || dt.minute !== wall.minute) return undefined;
  }
  return dt.toMillis();
}

/** Is `YYYY-MM-DD` a real date? */
export function isDate(text: unknown): text is string {
  return typeof text === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(text) && DateTime.fromISO(text).isValid;
}

/** Today's date (`YYYY-MM-DD`) in `zone`. */
export function todayIn(zone: string, now = Date.now()): string {
  return DateTime.fromMillis(now, { zone }).toISODate()!;
}

/** Days from `from` to `to` (dates), negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round(
    DateTime.fromISO(to, { zone: 'utc' }).diff(DateTime.fromISO(from, { zone: 'utc' }), 'days').days,
  );
}

/** `date` plus `days` (dates). */
export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'utc' }).plus({ days }).toISODate()!;
}

/** The date (`YYYY-MM-DD`) of an instant in `zone`. */
export function dateIn(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISODate()!;
}
