import { Receiver } from '../factories/customer-webhooks';
import { sandboxMessages, ukMobile } from '../factories/sms';
import {
  afterCallStack,
  callRecord,
  llmBehaviour,
  placeCall,
  receivedEvents,
  voiceLine,
} from '../factories/voice';
import { Stack, waitFor } from '../harness/stack';

/** A Monday far enough ahead that its slots are free whatever the date today (London is on UTC then). */
const MONDAY = '2030-01-07';
const NINE = `${MONDAY}T09:00:00.000Z`;
const SUMMARY = 'The caller booked a check-up for Monday at nine and was texted the details.';
const CONFIRMATION = 'Bright Bite: your check-up is booked for Monday 7 January at 9:00 am.';

/**
 * The whole of issue 14 in one call, against the real services, the Twilio
 * and Cal.com sandboxes, the stub LLM and a customer endpoint: the agent
 * looks up the number's calendar and books a slot (the caller hears a filler,
 * not silence), texts a confirmation with a `[SEND_SMS:]` tag that the stream
 * splits over many tokens and the caller never hears, and after the call the
 * caller gets the post-call SMS with the summary and the booking time, while
 * the number's webhook gets `call.started`, `booking.created` and `call.ended`
 * with the summary, both texts and the booking.
 */
describe('the agent acts: one call that books, texts, and is reported', () => {
  let stack: Stack;
  let receiver: Receiver;

  beforeAll(async () => {
    ({ stack, receiver } = await afterCallStack());
  }, 90_000);
  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  const events = (type: string) => receivedEvents(receiver, type);

  it('books during the call, texts mid-call without speaking the tag, texts after the call, and posts it all', async () => {
    const line = await voiceLine(stack, {
      agentBody: {
        post_call_sms_template:
          'Thanks for calling {{business_name}}. {{call_summary}} See you {{booking_time}}.',
      },
      number: {
        custom_prompt: 'Business name: Bright Bite Leeds',
        webhook_url: receiver.url('/bright-bite'),
        calendar: { api_key: 'cal_test_scenario', event_type_id: '1401', time_zone: 'Europe/London' },
      },
    });
    const caller = ukMobile('1401');
    await llmBehaviour(stack, {
      // Word by word, a little apart: the tag reaches the relay session in many pieces.
      token_delay_ms: 5,
      script: [
        {
          match: 'book a check-up',
          tool_calls: [{ name: 'check_availability', arguments: { from_date: MONDAY, to_date: MONDAY } }],
        },
        {
          match: '"slots"',
          tool_calls: [
            {
              name: 'book_appointment',
              arguments: { start: NINE, name: 'Sam Caller', email: 'sam@example.com' },
            },
          ],
        },
        {
          match: '"booking_id"',
          reply: `You are booked for Monday at nine. [SEND_SMS: ${CONFIRMATION}] I have texted you the details.`,
        },
        { match: 'thank you', reply: 'You are welcome, goodbye.' },
        { match: 'Summarise', reply: SUMMARY },
      ],
    });

    const report = await placeCall(stack, caller, line.phone, {
      steps: [
        { say: 'Can I book a check-up on Monday at nine?' },
        { say: 'Thank you.' },
        { silence_ms: 1500 },
      ],
    });
    expect(report.status).toBe('completed');

    // What the caller heard: the filler, the booking, never the tag or its text.
    const agentSaid = report.relay.turns.map((t: any) => t.text as string);
    expect(agentSaid[1]).toBe(
      'One moment while I check. You are booked for Monday at nine. I have texted you the details.',
    );
    for (const turn of report.relay.turns) {
      for (const k of turn.tokens) expect(k.token).not.toMatch(/SEND_SMS|\[|\]|Bright Bite:/);
    }

    // The booking: in Cal.com once, recorded as the call's, announced.
    const call = await callRecord(stack, report.call_sid, (c) => c.wrapup_state === 'done');
    const bookings = (await line.account.api.get(`/v1/bookings?call_id=${call.id}`)).body.data;
    expect(bookings).toHaveLength(1);
    const booking = bookings[0];
    expect(booking).toMatchObject({ call_id: call.id, contact: caller, start: NINE, status: 'accepted' });

    // The texts at Twilio: the tag's confirmation during the call, then the post-call SMS.
    const texts = await waitFor('both texts at Twilio', async () => {
      const msgs = (await sandboxMessages(stack, { to: caller })).filter((m) => m.from === line.phone);
      return msgs.length >= 2 ? msgs : undefined;
    });
    const bodies = texts.map((m) => m.body);
    expect(bodies).toContain(CONFIRMATION);
    expect(bodies).toContain(
      `Thanks for calling Bright Bite Leeds. ${SUMMARY} See you ${booking.start_local}.`,
    );
    expect(texts).toHaveLength(2);

    // The number's webhook: call.started, booking.created, call.ended with everything.
    const ended = await waitFor('call.ended', async () => events('call.ended')[0]);
    const started = events('call.started');
    expect(started).toHaveLength(1);
    expect(started[0].json.data.call_id).toBe(call.id);
    const created = await waitFor('booking.created', async () => events('booking.created')[0]);
    expect(created.path).toBe('/bright-bite');
    expect(created.json.data).toMatchObject({ booking_id: booking.booking_id, call_id: call.id });
    expect(ended.path).toBe('/bright-bite');
    expect(ended.json.data).toMatchObject({
      call_id: call.id,
      status: 'completed',
      summary: SUMMARY,
      post_call_sms: 'sent',
      bookings: [{ booking_id: booking.booking_id, start: NINE }],
    });
    const sms = ended.json.data.sms as any[];
    expect(sms.map((s) => s.source)).toEqual(['in_call', 'post_call']);
    expect(sms[0].message).toBe(CONFIRMATION);
    // The transcript the customer gets is what the caller heard.
    expect(JSON.stringify(ended.json.data.transcript)).not.toContain('SEND_SMS');

    // The in-call text's delivery is reported with the call it belongs to.
    const status = await waitFor('sms.status_updated of the in-call text', async () =>
      events('sms.status_updated').find((e) => e.json.data.message_id === sms[0].message_id),
    );
    expect(status.json.data.call_id).toBe(call.id);

    // And the call's detail says the same.
    const detail = await line.account.api.get(`/v1/calls/${call.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      summary: SUMMARY,
      post_call_sms: 'sent',
      bookings: [{ booking_id: booking.booking_id }],
    });
    expect(detail.body.sms.map((s: any) => s.source)).toEqual(['in_call', 'post_call']);
  });
});
