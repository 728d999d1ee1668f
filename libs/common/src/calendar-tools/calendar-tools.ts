import type { AgentTool } from '../agent/tools';
import type { BrokerClient } from '../broker/broker-client';
import { daysBetween, isDate } from '../calcom/time';
import { CalendarCommands, type CalendarErrorCode, type CalendarSlot } from '../contracts/calendar';

export interface CalendarToolsContext {
  account_id: string;
  /** Our number (E.164), whose calendar is used. */
  phone_number: string;
  /** The caller / texter (E.164). */
  contact: string;
  /** The number's calendar time zone (ResolvedNumber.calendar.time_zone). */
  time_zone: string;
  /** Where the booking is made from. */
  source: { call_id?: string | null; message_id?: string | null };
  /** Unique per turn, e.g. `call_x:turn:3`: the booking key is `${keyPrefix}:tool:${toolCallId}`. */
  keyPrefix: string;
}

export interface CalendarToolsOptions {
  /** How long one calendar RPC may take (the numbers service answers within its Cal.com timeout). */
  timeoutMs: number;
}

/** Most days one availability question may cover (to_date - from_date), as the numbers service allows. */
const MAX_RANGE_DAYS = 14;

export const CALENDAR_TOOL_SAY = {
  unreachable: "I can't reach the calendar right now. Could we try again in a moment?",
  badDates: "I didn't catch the dates. Which day or days would suit you?",
  rangeTooLong: 'I can look up to two weeks at a time. Which days suit you best?',
  badStart: "I didn't catch the time. Which day and time would you like?",
  noName: 'What name should I put the appointment under?',
  badEmail: "That email address doesn't look right. Could you spell it for me?",
} as const;

function failed(
  error: CalendarErrorCode | 'invalid_arguments',
  say: string,
  alternatives?: CalendarSlot[],
): string {
  return JSON.stringify({ ok: false, error, say, ...(alternatives?.length ? { alternatives } : {}) });
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/**
 * The agent's calendar tools for one conversation, over the numbers service's
 * RPCs: `check_availability` and `book_appointment`. Arguments are checked
 * here (bad ones get words to say, and no RPC); every result, including an RPC
 * that failed or timed out, is a short JSON string the model can act on.
 */
export function calendarTools(
  broker: BrokerClient,
  ctx: CalendarToolsContext,
  opts: CalendarToolsOptions,
): AgentTool[] {
  const rpc = { timeoutMs: opts.timeoutMs, expireWithTimeout: true };

  const checkAvailability: AgentTool = {
    spec: {
      name: 'check_availability',
      description:
        `Free appointment slots between two dates (inclusive, at most ${MAX_RANGE_DAYS} days apart). ` +
        `Dates and times are in ${ctx.time_zone}. Offer the caller a few of the slots by their "local" time.`,
      parameters: {
        type: 'object',
        properties: {
          from_date: { type: 'string', description: `First day, YYYY-MM-DD (${ctx.time_zone})` },
          to_date: {
            type: 'string',
            description: `Last day, YYYY-MM-DD (${ctx.time_zone}); the same as from_date for one day`,
          },
        },
        required: ['from_date', 'to_date'],
        additionalProperties: false,
      },
    },
    async run(args) {
      const from = text(args.from_date);
      const to = text(args.to_date) ?? from;
      if (!isDate(from) || !isDate(to) || daysBetween(from, to) < 0) {
        return failed('invalid_time', CALENDAR_TOOL_SAY.badDates);
      }
      if (daysBetween(from, to) > MAX_RANGE_DAYS)
        return failed('invalid_time', CALENDAR_TOOL_SAY.rangeTooLong);
      try {
        const r = await broker.request(
          CalendarCommands.availability,
          { account_id: ctx.account_id, phone_number: ctx.phone_number, from_date: from, to_date: to },
          rpc,
        );
        if (!r.ok || !r.value) {
          return failed(
            r.error?.code ?? 'calendar_unavailable',
            r.error?.message ?? CALENDAR_TOOL_SAY.unreachable,
          );
        }
        return JSON.stringify({ ok: true, time_zone: r.value.time_zone, slots: r.value.slots });
      } catch {
        return failed('calendar_unavailable', CALENDAR_TOOL_SAY.unreachable);
      }
    },
  };

  const bookAppointment: AgentTool = {
    spec: {
      name: 'book_appointment',
      description:
        'Books the caller into a free slot. Use a slot\'s "start" from check_availability, or a time ' +
        `YYYY-MM-DDTHH:mm in ${ctx.time_zone}. Confirm the time and name with the caller first.`,
      parameters: {
        type: 'object',
        properties: {
          start: {
            type: 'string',
            description: `A slot's start (UTC), or local time YYYY-MM-DDTHH:mm in ${ctx.time_zone}`,
          },
          name: { type: 'string', description: "The caller's name" },
          email: { type: 'string', description: "The caller's email, if they gave one" },
          notes: { type: 'string', description: 'What the appointment is for, briefly' },
        },
        required: ['start', 'name'],
        additionalProperties: false,
      },
    },
    async run(args, call) {
      const start = text(args.start);
      if (!start || start.length > 40 || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(start)) {
        return failed('invalid_time', CALENDAR_TOOL_SAY.badStart);
      }
      const name = text(args.name);
      if (!name) return failed('invalid_arguments', CALENDAR_TOOL_SAY.noName);
      const email = text(args.email);
      if (email !== undefined && (email.length > 200 || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))) {
        return failed('invalid_arguments', CALENDAR_TOOL_SAY.badEmail);
      }
      const notes = text(args.notes);
      try {
        const r = await broker.request(
          CalendarCommands.book,
          {
            account_id: ctx.account_id,
            phone_number: ctx.phone_number,
            idempotency_key: `${ctx.keyPrefix}:tool:${call.toolCallId}`.slice(0, 200),
            start,
            name: name.slice(0, 200),
            email: email ?? null,
            notes: notes ? notes.slice(0, 1000) : null,
            contact: ctx.contact,
            source: { call_id: ctx.source.call_id ?? null, message_id: ctx.source.message_id ?? null },
          },
          rpc,
        );
        if (!r.ok || !r.value) {
          return failed(
            r.error?.code ?? 'calendar_unavailable',
            r.error?.message ?? CALENDAR_TOOL_SAY.unreachable,
            r.error?.alternatives,
          );
        }
        const b = r.value;
        return JSON.stringify({
          ok: true,
          booking_id: b.booking_id,
          start: b.start,
          local: b.start_local,
          time_zone: b.time_zone,
        });
      } catch {
        return failed('calendar_unavailable', CALENDAR_TOOL_SAY.unreachable);
      }
    },
  };

  return [checkAvailability, bookAppointment];
}
