import { DEFAULT_QUIET_HOURS, countryOf } from '@nixflex/common';
import { DateTime } from 'luxon';

/**
 * A quiet window in the recipient's local time, HH:MM (24-hour) as the
 * account settings store it: no message from `start` until `end`. It may wrap
 * midnight (21:00-09:00) or not (13:00-14:00); `start` equal to `end` means no
 * quiet hours at all.
 */
export interface QuietWindow {
  start: string;
  end: string;
}

/** The window of an account that never set one: no message from 21:00 until 09:00. */
export const DEFAULT_QUIET_WINDOW: QuietWindow = { ...DEFAULT_QUIET_HOURS };

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes since midnight of an HH:MM time (00:00 to 23:59). */
export function minuteOfDay(hhmm: string): number {
  const match = HH_MM.exec(hhmm);
  if (!match) throw new Error(`not an HH:MM time: ${hhmm}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * The IANA zones of each country we decide quiet hours for (ISO 3166 code,
 * as libphonenumber-js gives it for the recipient's number). A country with
 * several zones lists the zones that bound its span; a message may go only
 * while it is outside the quiet window in every one of them (the most
 * restrictive window).
 */
export const COUNTRY_ZONES: Readonly<Record<string, readonly string[]>> = {
  GB: ['Europe/London'],
  IE: ['Europe/Dublin'],
  FR: ['Europe/Paris'],
  DE: ['Europe/Berlin'],
  ES: ['Europe/Madrid', 'Atlantic/Canary'],
  PT: ['Europe/Lisbon', 'Atlantic/Azores'],
  IT: ['Europe/Rome'],
  NL: ['Europe/Amsterdam'],
  BE: ['Europe/Brussels'],
  LU: ['Europe/Luxembourg'],
  CH: ['Europe/Zurich'],
  AT: ['Europe/Vienna'],
  DK: ['Europe/Copenhagen'],
  SE: ['Europe/Stockholm'],
  NO: ['Europe/Oslo'],
  FI: ['Europe/Helsinki'],
  PL: ['Europe/Warsaw'],
  CZ: ['Europe/Prague'],
  GR: ['Europe/Athens'],
  IL: ['Asia/Jerusalem'],
  AE: ['Asia/Dubai'],
  IN: ['Asia/Kolkata'],
  SG: ['Asia/Singapore'],
  JP: ['Asia/Tokyo'],
  ZA: ['Africa/Johannesburg'],
  NZ: ['Pacific/Auckland', 'Pacific/Chatham'],
  PR: ['America/Puerto_Rico'],
  US: [
    'America/New_York',
    'America/Chicago',
    'America/Denver',
    'America/Phoenix',
    'America/Los_Angeles',
    'America/Anchorage',
    'Pacific/Honolulu',
  ],
  CA: [
    'America/St_Johns',
    'America/Halifax',
    'America/Toronto',
    'America/Winnipeg',
    'America/Edmonton',
    'America/Vancouver',
  ],
  AU: [
    'Australia/Perth',
    'Australia/Darwin',
    'Australia/Adelaide',
    'Australia/Brisbane',
    'Australia/Sydney',
    'Australia/Lord_Howe',
  ],
  BR: ['America/Noronha', 'America/Sao_Paulo', 'America/Manaus', 'America/Rio_Branco'],
  MX: ['America/Cancun', 'America/Mexico_City', 'America/Mazatlan', 'America/Tijuana'],
  RU: [
    'Europe/Kaliningrad',
    'Europe/Moscow',
    'Europe/Samara',
    'Asia/Yekaterinburg',
    'Asia/Omsk',
    'Asia/Novosibirsk',
    'Asia/Krasnoyarsk',
    'Asia/Irkutsk',
    'Asia/Yakutsk',
    'Asia/Vladivostok',
    'Asia/Magadan',
    'Asia/Kamchatka',
  ],
};

/**
 * The recipient's country and its zones; zones undefined when the country is
 * not in the table. A number whose range libphonenumber cannot place (a
 * drama or newly allocated range) counts as the calling code's main country
 * (+44: GB, +1: US).
 */
export function zonesOf(e164: string): { country: string | undefined; zones: readonly string[] | undefined } {
  const country = countryOf(e164);
  return { country, zones: country === undefined ? undefined : COUNTRY_ZONES[country] };
}

/** Whether `at` is outside the quiet `window` in every zone of `zones`. */
export function isAllowed(
  at: Date,
  zones: readonly string[],
  window: QuietWindow = DEFAULT_QUIET_WINDOW,
): boolean {
  const start = minuteOfDay(window.start);
  const end = minuteOfDay(window.end);
  if (start === end) return true;
  return zones.every((zone) => {
    const local = DateTime.fromJSDate(at, { zone });
    const minute = local.hour * 60 + local.minute;
    const quiet = start > end ? minute >= start || minute < end : minute >= start && minute < end;
    return !quiet;
  });
}

/**
 * The first instant at or after `at` outside the quiet `window` in every
 * zone: `at` itself, or else the moment some zone reaches the window's end
 * while all the others are already outside it (the allowed set is an
 * intersection of daily intervals, so it can only begin at one zone's end of
 * quiet hours). Null when there is none within three days: the zones of the
 * country span more than the window leaves open (a 23-hour quiet window
 * across the US). With the default window every country of the table has
 * one every day (it spans less than 12 hours).
 */
export function nextAllowed(
  at: Date,
  zones: readonly string[],
  window: QuietWindow = DEFAULT_QUIET_WINDOW,
): Date | null {
  if (isAllowed(at, zones, window)) return at;
  const end = minuteOfDay(window.end);
  const candidates: number[] = [];
  for (const zone of zones) {
    const today = DateTime.fromJSDate(at, { zone }).startOf('day');
    for (let d = -1; d <= 3; d++) {
      const opening = today
        .plus({ days: d })
        .set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
      if (opening.toMillis() >= at.getTime()) candidates.push(opening.toMillis());
    }
  }
  candidates.sort((a, b) => a - b);
  for (const ms of candidates) {
    const candidate = new Date(ms);
    if (isAllowed(candidate, zones, window)) return candidate;
  }
  return null;
}
