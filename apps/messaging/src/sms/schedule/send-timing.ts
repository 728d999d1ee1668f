import { AppError } from '@nixflex/common';
import { DateTime } from 'luxon';
import { isAllowed, nextAllowed, zonesOf } from './quiet-hours';

/** How far ahead `send_at` may be. */
export const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3600_000;

/** An ISO 8601 date-time that says its offset (`Z` or `+hh:mm`), so the instant is never a guess. */
const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** When a message was asked to go. */
export interface SendTiming {
  /** `send_at` as given; absent: now. */
  sendAt?: string;
  respectQuietHours: boolean;
}

/**
 * When the message to `to` may go, as the clock says it is `now`: null for
 * at once, else the instant it is released. `send_at` must be in the future
 * and at most 30 days ahead; with quiet hours, an instant inside them moves
 * to their end in every zone of the recipient's country.
 */
export function scheduleFor(timing: SendTiming, to: string, now: Date): Date | null {
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
    if (!isAllowed(wanted, zones)) at = nextAllowed(wanted, zones);
  }
  return at;
}

export function parseSendAt(raw: string, now: Date): Date {
  const parsed = WITH_OFFSET.test(raw.trim()) ? DateTime.fromISO(raw.trim(), { setZone: true }) : null;
  if (!parsed?.isValid) {
    throw new AppError(
      'invalid_send_at',
      '`send_at` must be an ISO 8601 date-time with an offset, e.g. 2026-12-24T10:00:00+00:00',
    );
  }
  const at = parsed.toJSDate();
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
