import { AppError } from '@nixflex/common';
import { DateTime } from 'luxon';
import { DEFAULT_QUIET_WINDOW, QuietWindow, isAllowed, nextAllowed, zonesOf } from './quiet-hours';

/** How far ahead `send_at` (and `expires_at`) may be. */
export const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3600_000;

/** Twilio's `ValidityPeriod` range, in seconds. */
export const VALIDITY_PERIOD_MIN_S = 1;
export const VALIDITY_PERIOD_MAX_S = 36_000;

/** An ISO 8601 date-time that says its offset (`Z` or `+hh:mm`), so the instant is never a guess. */
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** When a message was asked to go. */
export interface SendTiming {
  /** `send_at` as given; absent: now. */
  sendAt?: string;
  respectQuietHours: boolean;
  /** `expires_at` as given; absent: never. */
  expiresAt?: string;
}

/**
 * When the message to `to` may go, as the clock says it is `now`: null for
 * at once, else the instant it is released. `send_at` must be in the future
 * and at most 30 days ahead; with quiet hours, an instant inside the quiet
 * `window` (the account's, 21:00-09:00 by default) moves to its end in every
 * zone of the recipient's country.
 */
export function scheduleFor(
  timing: SendTiming,
  to: string,
  now: Date,
  window: QuietWindow = DEFAULT_QUIET_WINDOW,
): Date | null {
  let at = timing.sendAt === undefined ? null : parseSendAt(timing.sendAt, now);
  if (timing.respectQuietHours) {
    const { country, zones } = zonesOf(to);
    if (!zones) {
      throw new AppError(
        'quiet_hours_unsupported_country',
        `Quiet hours are not known for ${country ?? 'the country of'} ${to}; send without \`respect_quiet_hours\``,
        { country: country ?? null },
      );
    }
    const wanted = at ?? now;
    if (!isAllowed(wanted, zones, window)) {
      at = nextAllowed(wanted, zones, window);
      if (at === null) {
        throw new AppError(
          'quiet_hours_unsupported_country',
          `Quiet hours ${window.start}-${window.end} leave no time when it is day in every zone of ${country} ` +
            `(${zones.join(', ')}); send without \`respect_quiet_hours\` or shorten the quiet hours`,
          { country: country ?? null },
        );
      }
    }
  }
  return at;
}

/**
 * `expires_at` as an instant, or null when not given: ISO 8601 with an
 * offset, after now, after `send_at` when that is given, and at most 30 days
 * ahead; anything else is `invalid_expires_at` saying which rule failed.
 * Check `send_at` first (`scheduleFor`).
 */
export function expiresAtFor(timing: SendTiming, now: Date): Date | null {
  if (timing.expiresAt === undefined) return null;
  const raw = timing.expiresAt;
  const at = parseInstant(raw);
  if (!at) {
    throw new AppError(
      'invalid_expires_at',
      '`expires_at` must be an ISO 8601 date-time with an offset, e.g. 2026-12-24T18:00:00+00:00',
    );
  }
  if (at.getTime() <= now.getTime()) {
    throw new AppError(
      'invalid_expires_at',
      `\`expires_at\` ${raw} is in the past; it must be in the future`,
      { now: now.toISOString() },
    );
  }
  const sendAt = timing.sendAt === undefined ? null : parseInstant(timing.sendAt);
  if (sendAt && at.getTime() <= sendAt.getTime()) {
    throw new AppError(
      'invalid_expires_at',
      `\`expires_at\` ${raw} is not after \`send_at\` ${timing.sendAt}; it must be later`,
      { send_at: sendAt.toISOString() },
    );
  }
  if (at.getTime() - now.getTime() > MAX_SCHEDULE_AHEAD_MS) {
    throw new AppError('invalid_expires_at', `\`expires_at\` ${raw} is more than 30 days ahead`, {
      latest: new Date(now.getTime() + MAX_SCHEDULE_AHEAD_MS).toISOString(),
    });
  }
  return at;
}

/**
 * Twilio's `ValidityPeriod` for a message that expires at `expiresAt`: the
 * whole seconds left at `now`, within Twilio's 1..36000, so Twilio does not
 * deliver it late either. Undefined without an expiry.
 */
export function validityPeriodFor(expiresAt: Date | null, now: Date): number | undefined {
  if (expiresAt === null) return undefined;
  const seconds = Math.floor((expiresAt.getTime() - now.getTime()) / 1000);
  return Math.min(VALIDITY_PERIOD_MAX_S, Math.max(VALIDITY_PERIOD_MIN_S, seconds));
}

function parseInstant(raw: string): Date | null {
  const parsed = WITH_OFFSET.test(raw.trim()) ? DateTime.fromISO(raw.trim(), { setZone: true }) : null;
  return parsed?.isValid ? parsed.toJSDate() : null;
}

export function parseSendAt(raw: string, now: Date): Date {
  const at = parseInstant(raw);
  if (!at) {
    throw new AppError(
      'invalid_send_at',
      '`send_at` must be an ISO 8601 date-time with an offset, e.g. 2026-12-24T10:00:00+00:00',
    );
  }
  if (at.getTime() <= now.getTime()) {
    throw new AppError('invalid_send_at', `\`send_at\` ${raw} is in the past; it must be in the future`, {
      now: now.toISOString(),
    });
  }
  if (at.getTime() - now.getTime() > MAX_SCHEDULE_AHEAD_MS) {
    throw new AppError('invalid_send_at', `\`send_at\` ${raw} is more than 30 days ahead`, {
      latest: new Date(now.getTime() + MAX_SCHEDULE_AHEAD_MS).toISOString(),
    });
  }
  return at;
}
