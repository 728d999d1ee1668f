import type { CalendarErrorCode, CalendarSlot } from '@nixflex/common';
import { sayableClock, sayableTime } from '@nixflex/common/calcom';
import { DateTime } from 'luxon';

/** Words the agent can say as they are, per failure. */
export const SAY: Record<Exclude<CalendarErrorCode, 'slot_unavailable'>, string> = {
  calendar_not_configured: "I'm sorry, I can't book appointments on this line.",
  invalid_time: "I didn't catch a date and time I can use. Could you say it another way?",
  calendar_auth_failed:
    "I'm sorry, I can't get into the calendar right now, so I can't book this. Someone from the team will follow up with you.",
  calendar_rate_limited: 'The calendar is busy right now. Could we try again in a moment?',
  calendar_unavailable: "I can't reach the calendar right now. Could we try again in a moment?",
  calendar_timeout: 'The calendar is taking too long to answer. Could we try again in a moment?',
  email_required: 'To book this I need an email address. What email should I use?',
};

export const SAY_PAST = 'That time has already passed. Could you pick a later time?';
export const SAY_RANGE_TOO_LONG = 'I can look up to two weeks at a time. Which days suit you best?';

function joinOr(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/**
 * "That time was just taken. I have 10:30 am or 11:15 am." Alternatives on
 * the asked day are said by the clock, on other days with their date.
 */
export function slotUnavailableMessage(
  taken: boolean,
  askedMs: number,
  alternatives: CalendarSlot[],
  zone: string,
): string {
  const head = taken ? 'That time was just taken.' : "That time isn't available.";
  if (alternatives.length === 0) return `${head} Would another day work?`;
  const askedDay = DateTime.fromMillis(askedMs, { zone }).toISODate();
  const said = alternatives.map((s) =>
    DateTime.fromISO(s.start, { zone }).toISODate() === askedDay
      ? sayableClock(s.start, zone)
      : sayableTime(s.start, zone),
  );
  return `${head} I have ${joinOr(said)}.`;
}
