import * as fs from 'node:fs';
import { http } from '../harness/api';
import { inbound, llmBehaviour, llmRequests, waitForInbound, waitForReplies } from '../factories/inbound';
import { SmsSender, recipient, smsSender } from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';

const TIME_ZONE = 'Europe/London';

/** Tomorrow's date (`YYYY-MM-DD`) in `timeZone`. */
function tomorrowIn(timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  })
    .format(new Date(Date.now() + 24 * 3600_000))
    .split('-');
  return parts.join('-');
}

/**
 * The agent books from an SMS conversation, against the whole stack: the
 * stub LLM plays a model that checks availability, books, then answers; the
 * numbers service books in the Cal.com sandbox; the reply goes out through
 * the Twilio sandbox and the thread's detail lists the booking.
 */
describe('Inbound SMS: the agent books in the number’s calendar', () => {
  let stack: Stack;
  let s: SmsSender;
  let plain: SmsSender;
  const eventTypeId = `et_${Date.now()}`;
  /** The first test's inbound message, whose thread has a booking. */
  let bookedThread: string | undefined;

  beforeAll(async () => {
    stack = await Stack.start();
    s = await smsSender(stack);
    plain = await smsSender(stack, s.account);
    // Open every day, so "tomorrow at 9" is free whatever day the test runs.
    const et = await http('PUT', `${stack.calcomUrl}/__admin/event-types/${eventTypeId}`, {
      body: {
        availability: { days: [1, 2, 3, 4, 5, 6, 7], start: '09:00', end: '17:00' },
        time_zone: TIME_ZONE,
      },
    });
    expect(et.status).toBe(200);
    const patched = await s.account.api.patch(`/v1/phone-numbers/${encodeURIComponent(s.from_number)}`, {
      calendar: { api_key: 'cal_test_h2booking', event_type_id: eventTypeId, time_zone: TIME_ZONE },
    });
    expect(patched.status).toBe(200);
  }, 60_000);
  afterAll(() => stack?.stop());

  it('checks availability, books once with the inbound message as source, replies, and shows the booking in the thread', async () => {
    const day = tomorrowIn(TIME_ZONE);
    await llmBehaviour(stack, {
      script: [
        {
          match: 'book tomorrow at 9',
          tool_calls: [{ name: 'check_availability', arguments: { from_date: day, to_date: day } }],
        },
        {
          match: '"slots"',
          tool_calls: [
            {
              name: 'book_appointment',
              arguments: { start: `${day}T09:00`, name: 'Ann Smith', email: 'ann@example.com' },
            },
          ],
        },
        { match: '"booking_id"', reply: 'Booked: Ann Smith, tomorrow at 9:00 am. See you then!' },
      ],
    });
    const from = recipient();
    const res = await inbound(stack, from, s.from_number, 'Can I book tomorrow at 9?');
    expect(res.deliveries[0].status).toBe(200);

    const [reply] = await waitForReplies(stack, s, from, 1);
    expect(reply.body).toBe('Booked: Ann Smith, tomorrow at 9:00 am. See you then!');
    const stored = await waitForInbound(stack, s, res.message_sid);

    // The LLM was offered the calendar tools, with the time zone in the prompt.
    const reqs = (await llmRequests(stack)).map((r) => r.body);
    const asked = reqs.filter((b) =>
      b.messages.some((m: any) => m.role === 'user' && m.content === 'Can I book tomorrow at 9?'),
    );
    expect(asked).toHaveLength(3);
    expect(asked[0].tools.map((t: any) => t.function.name).sort()).toEqual([
      'book_appointment',
      'check_availability',
    ]);
    expect(asked[0].messages[0].content).toContain(TIME_ZONE);

    // One booking, made from this SMS, for the texter, in Cal.com and in GET /v1/bookings.
    const bookings = await waitFor('booking listed', async () => {
      const list = await s.account.api.get(`/v1/bookings?phone_number=${encodeURIComponent(s.from_number)}`);
      return list.status === 200 && list.body.data.length > 0 ? list.body.data : undefined;
    });
    expect(bookings).toHaveLength(1);
    expect(bookings[0]).toMatchObject({
      phone_number: s.from_number,
      contact: from,
      message_id: stored.message_id,
      call_id: null,
      status: 'accepted',
      attendee_name: 'Ann Smith',
      attendee_email: 'ann@example.com',
      time_zone: TIME_ZONE,
    });
    const calcom = (await http<any[]>('GET', `${stack.calcomUrl}/__admin/bookings`)).body;
    expect(calcom.filter((b: any) => String(b.eventTypeId) === eventTypeId)).toHaveLength(1);

    // The thread's detail (the inbound message, or the reply) lists it.
    bookedThread = stored.message_id;
    const detail = await s.account.api.get(`/v1/sms/${stored.message_id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.bookings.map((b: any) => b.booking_id)).toEqual([bookings[0].booking_id]);
    const outbound = detail.body.conversation.find((m: any) => m.direction === 'outbound');
    expect(outbound).toMatchObject({ source: 'agent_reply', in_reply_to: stored.message_id, call_id: null });
  });

  it('still replies when the calendar fails: the agent is told, and says so', async () => {
    const day = tomorrowIn(TIME_ZONE);
    await http('POST', `${stack.calcomUrl}/__admin/faults`, { body: { mode: 'down' } });
    await llmBehaviour(stack, {
      script: [
        {
          match: 'anything on friday',
          tool_calls: [{ name: 'check_availability', arguments: { from_date: day, to_date: day } }],
        },
        {
          match: '"ok":false',
          reply: "Sorry, I can't reach the calendar just now. Could you try again later?",
        },
      ],
    });
    try {
      const from = recipient();
      await inbound(stack, from, s.from_number, 'Anything on Friday?');
      const [reply] = await waitForReplies(stack, s, from, 1);
      expect(reply.body).toBe("Sorry, I can't reach the calendar just now. Could you try again later?");
      const asked = (await llmRequests(stack))
        .map((r) => r.body)
        .filter((b) => b.messages.some((m: any) => m.content === 'Anything on Friday?'));
      expect(asked).toHaveLength(2);
      const toolResult = asked[1].messages.find((m: any) => m.role === 'tool');
      expect(JSON.parse(toolResult.content)).toMatchObject({ ok: false });
    } finally {
      await http('POST', `${stack.calcomUrl}/__admin/faults`, { body: { mode: 'none' } });
    }
  });

  it('offers no tools when the number has no calendar, and the reply is as before', async () => {
    await llmBehaviour(stack, { script: [], reply: 'We are open 9 to 5.' });
    try {
      const from = recipient();
      await inbound(stack, from, plain.from_number, 'Are you open tomorrow?');
      const [reply] = await waitForReplies(stack, plain, from, 1);
      expect(reply.body).toBe('We are open 9 to 5.');
      const asked = (await llmRequests(stack))
        .map((r) => r.body)
        .filter((b) => b.messages.some((m: any) => m.content === 'Are you open tomorrow?'));
      expect(asked).toHaveLength(1);
      expect(asked[0].tools).toBeUndefined();
      expect(asked[0].tool_choice).toBeUndefined();
      expect(asked[0].messages[0].content).not.toContain('ACTIONS');
      // A thread without bookings shows an empty list.
      const list = await plain.account.api.get(`/v1/sms?to=${encodeURIComponent(from)}`);
      const detail = await plain.account.api.get(`/v1/sms/${list.body.data[0].message_id}`);
      expect(detail.body.bookings).toEqual([]);
    } finally {
      await llmBehaviour(stack, { reply: null });
    }
  });

  it("still answers a message's detail when numbers does not: no bookings, and a log line", async () => {
    expect(bookedThread).toBeDefined();
    const logBefore = fs.statSync(stack.logFile).size;
    await stack.kill('numbers');
    const started = Date.now();
    const detail = await s.account.api.get(`/v1/sms/${bookedThread}`);
    expect(detail.status).toBe(200);
    expect(detail.body.message_id).toBe(bookedThread);
    expect(detail.body.bookings).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5000);
    await waitFor('the warning line', async () => {
      const log = fs.readFileSync(stack.logFile).subarray(logBefore).toString('utf8');
      return log.includes(`bookings of ${bookedThread}'s thread unavailable`) ? true : undefined;
    });
  });
});
