import type { CalendarSlot } from '@nixflex/common';
import { dateIn, sayableTime } from '@nixflex/common/calcom';

/** Most slots one availability answer lists: enough to choose from, short enough to say. */
export const MAX_SLOTS = 12;

export function toSlot(ms: number, zone: string): CalendarSlot {
  return { start: new Date(ms).toISOString(), local: sayableTime(ms, zone) };
}

/**
 * At most `max` of the slots, spread over the days they fall on: each day's
 * earliest first, then each day's next, and so on, back in time order.
 */
export function spreadSlots(slots: number[], zone: string, max = MAX_SLOTS): number[] {
  if (slots.length <= max) return slots;
  const byDay = new Map<string, number[]>();
  for (const ms of slots) {
    const day = dateIn(ms, zone);
    byDay.set(day, [...(byDay.get(day) ?? []), ms]);
  }
  const days = [...byDay.values()];
  const picked: number[] = [];
  for (let round = 0; picked.length < max; round++) {
    let any = false;
    for (const day of days) {
      if (round < day.length && picked.length < max) {
        picked.push(day[round]);
        any = true;
      }
    }
    if (!any) break;
  }
  return picked.sort((a, b) => a - b);
}

/**
 * Up to `count` free slots near the asked instant: the nearest ones on the
 * same day, else the earliest of the following days.
 */
export function nearbySlots(free: number[], askedMs: number, zone: string, count = 3): number[] {
  const day = dateIn(askedMs, zone);
  const sameDay = free.filter((ms) => ms !== askedMs && dateIn(ms, zone) === day);
  if (sameDay.length > 0) {
    return (
      sameDay
        // Nearest first; of two equally near, the later one (people asked for that time or after it).
        .sort((a, b) => Math.abs(a - askedMs) - Math.abs(b - askedMs) || b - a)
        .slice(0, count)
        .sort((a, b) => a - b)
    );
  }
  return free.filter((ms) => ms > askedMs).slice(0, count);
}
