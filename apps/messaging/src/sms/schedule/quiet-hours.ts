import { countryOf } from '@nixflex/common';
import { DateTime } from 'luxon';

/** Quiet hours in the recipient's local time: no message from 21:00 until 09:00. */
export const QUIET_HOURS = { start: 21, end: 9 } as const;

/**
 * The IANA zones of each country we decide quiet hours for (ISO 3166 code,
 * as libphonenumber-js gives it for the recipient's number). A country with
 * several zones lists the zones that bound its span; a message may go only
 * while it is 09:00-21:00 in every one of them (the most restrictive window).
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

/** Whether `at` is outside quiet hours in every zone of `zones`. */
export function isAllowed(at: Date, zones: readonly string[]): boolean {
  return zones.every((zone) => {
    const hour = DateTime.fromJSDate(at, { zone }).hour;
    return hour >= QUIET_HOURS.end && hour < QUIET_HOURS.start;
  });
}

/**
 * The first instant at or after `at` outside quiet hours in every zone: `at`
 * itself, or else the moment some zone reaches 09:00 while all the others
 * are already in their day (the allowed set is an intersection of daily
 * windows, so it can only begin at one zone's 09:00). Every country of the
 * table spans less than 12 hours, so such a moment exists within two days.
 */
export function nextAllowed(at: Date, zones: readonly string[]): Date {
  if (isAllowed(at, zones)) return at;
  const candidates: number[] = [];
  for (const zone of zones) {
    const today = DateTime.fromJSDate(at, { zone }).startOf('day');
    for (let d = -1; d <= 2; d++) {
      const opening = today
        .plus({ days: d })
        .set({ hour: QUIET_HOURS.end, minute: 0, second: 0, millisecond: 0 });
      if (opening.toMillis() >= at.getTime()) candidates.push(opening.toMillis());
    }
  }
  candidates.sort((a, b) => a - b);
  for (const ms of candidates) {
    const candidate = new Date(ms);
    if (isAllowed(candidate, zones)) return candidate;
  }
  throw new Error(`no instant outside quiet hours in all of ${zones.join(', ')}`);
}
