/** Test data and tools for calendars: the stack's Cal.com sandbox, future slot times, the calendar RPCs. */
import { DateTime } from 'luxon';
import { http } from '../harness/api';
import type { Stack } from '../harness/stack';
import { StackBroker, brokerFor } from './broker';

/** A Cal.com key the sandbox accepts by default; tests assert it never leaks. */
export function calcomKey(label = 'k'): string {
  return `cal_test_${label}_${Math.random().toString(36).slice(2, 12)}`;
}

/** Calls the stack's Cal.com sandbox admin API. */
export async function calcomAdmin(stack: Stack, method: string, path: string, body?: unknown): Promise<any> {
  const res = await http(method, `${stack.calcomUrl}/__admin${path}`, { body });
  if (res.status >= 400)
    throw new Error(`calcom admin ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * A weekday at least `daysAhead` days from now, as `YYYY-MM-DD` in London
 * (the sandbox's default availability is Mon-Fri 09:00-17:00 London).
 */
export function futureWeekday(daysAhead = 7): string {
  let d = DateTime.now().setZone('Europe/London').plus({ days: daysAhead });
  while (d.weekday > 5) d = d.plus({ days: 1 });
  return d.toISODate()!;
}

/** The UTC instant (ISO, ms) of a London wall time on a date. */
export function londonTime(date: string, hhmm: string): string {
  return DateTime.fromISO(`${date}T${hhmm}`, { zone: 'Europe/London' }).toUTC().toISO()!;
}

/** A BrokerClient on the stack's broker, as voice and messaging ask the numbers service. */
export function calendarBroker(stack: Stack): Promise<StackBroker> {
  return brokerFor(stack, 15_000);
}
