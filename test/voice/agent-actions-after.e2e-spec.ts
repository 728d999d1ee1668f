import { BrokerClient, CalendarCommands } from '@nixflex/common';
import { Receiver } from '../factories/customer-webhooks';
import { inbound, llmRequests } from '../factories/inbound';
import { sandboxMessages, ukMobile } from '../factories/sms';
import {
  afterCallStack,
  callRecord,
  llmBehaviour,
  llmReset,
  placeCall,
  receivedEvents,
  voiceLine,
} from '../factories/voice';
import { Stack, waitFor } from '../harness/stack';
import { StackBroker, brokerFor } from '../factories/broker';

const TEMPLATE =
  'Thanks for calling {{business_name}}! {{call_summary}} Your appointment: {{booking_time}}. {{booking_link}}';
const SUMMARY = 'The caller booked a check-up. Nothing else was agreed.';

/** A weekday at 10:00 London (UTC in winter) at least two days ahead: inside the Cal.com sandbox's hours. */
function bookableStart(): string {
  const d = new Date(Date.now() + 2 * 86_400_000);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  return `${d.toISOString().slice(0, 10)}T10:00:00Z`;
}

/**
 * What the agent does after a call, against a real stack (Twilio and Cal.com
 * sandboxes, the stub LLM, a customer endpoint): the call's summary, one
 * post-call SMS rendered from the template (with the summary and the booking
 * made in the call), `call.started` then `call.ended` with summary, texts and
 * bookings on the number's webhook; nothing after an unanswered call; the
 * SMS still sent when the LLM is down; and a wrap-up run again after a crash
 * sends no second SMS and no second `call.ended`.
 */
describe('after a call: summary, post-call SMS, call.started / call.ended', () => {
  let stack: Stack;
  let receiver: Receiver;
  let broker: StackBroker;
  let client: BrokerClient;

  beforeAll(async () => {
    ({ stack, receiver } = await afterCallStack({
      VOICE_WRAPUP_GIVE_UP_MS: '60000',
      VOICE_WRAPUP_LEASE_MS: '10000',
    }));
    broker = await brokerFor(stack, 10_000);
    client = broker.client;
  }, 90_000);
  afterAll(async () => {
    await broker?.close();
    await receiver?.close();
    await stack?.stop();
  });
  afterEach(() => llmReset(stack));

  const events = (type: string, callId?: string) =>
    receivedEvents(receiver, type).filter((r) => !callId || r.json.data.call_id === callId);

  const endedEvent = (callId: string) =>
    waitFor(`call.ended of ${callId}`, async () => events('call.ended', callId)[0], 40_000, 100);

  async function line(path: string, template = TEMPLATE) {
    return voiceLine(stack, {
      agentBody: { post_call_sms_template: template },
      number: {
        custom_prompt: 'Business name: Bright Bite Leeds',
        webhook_url: receiver.url(path),
        calendar: { api_key: 'cal_test_wrapup', event_type_id: '4242', time_zone: 'Europe/London' },
      },
    });
  }

  /** The call once its wrap-up is done (the summary and the SMS take a moment after the end). */
  const wrappedUp = (callSid: string) =>
    waitFor(
      `wrap-up of ${callSid}`,
      async () => {
        const [c] = await stack.sql(`SELECT * FROM voice.calls WHERE twilio_sid = $1`, [callSid]);
        return c?.wrapup_state === 'done' ? c : undefined;
      },
      40_000,
      100,
    );

  /** Texts the sandbox (Twilio) accepted for `to`. */
  const textsTo = async (to: string) => (await sandboxMessages(stack)).filter((m) => m.to === to);

  let firstCall: { id: string; caller: string; messageId: string } | undefined;

  it('summarises the call, texts the caller once with the summary and the booking, and posts call.started then call.ended', async () => {
    const l = await line('/calls');
    await llmBehaviour(stack, { script: [{ match: 'Summarise', reply: SUMMARY }] });
    const caller = ukMobile('6101');
    const started = await placeCall(
      stack,
      caller,
      l.phone,
      { steps: [{ say: 'I would like a check-up please.' }, { silence_ms: 2500 }] },
      { wait: false },
    );
    const live = await callRecord(stack, started.call_sid, (c) => c.answered_at !== null);
    const booked = await client.request(CalendarCommands.book, {
      account_id: l.account.account_id,
      phone_number: l.phone,
      idempotency_key: `${live.id}:test-booking`,
      start: bookableStart(),
      name: 'Sam Caller',
      email: 'sam@example.com',
      contact: caller,
      source: { call_id: live.id },
    });
    expect(booked.error ?? null).toBeNull();

    const call = await wrappedUp(started.call_sid);
    expect(call.status).toBe('completed');
    expect(call.summary).toBe(SUMMARY);
    expect(call.summary_state).toBe('written');
    expect(call.post_call_sms_state).toBe('sent');

    const texts = await waitFor('the post-call SMS at Twilio', async () => (await textsTo(caller))[0]);
    expect(texts.from).toBe(l.phone);
    expect(texts.body).toBe(
      `Thanks for calling Bright Bite Leeds! ${SUMMARY} Your appointment: ${booked.value!.start_local}.`,
    );

    const startedEvent = await waitFor('call.started', async () => events('call.started', call.id)[0]);
    expect(startedEvent.headers['webhook-id']).toBe(`evt_call_started_${call.id}`);
    expect(startedEvent.json.data).toMatchObject({
      call_id: call.id,
      direction: 'inbound',
      phone_number: l.phone,
      from_number: caller,
      to: l.phone,
      agent_id: l.agent.id,
      twilio_sid: started.call_sid,
    });
    const ended = await endedEvent(call.id);
    expect(ended.path).toBe('/calls');
    expect(ended.at).toBeGreaterThanOrEqual(startedEvent.at);
    expect(ended.json.data).toMatchObject({
      call_id: call.id,
      status: 'completed',
      summary: SUMMARY,
      post_call_sms: 'sent',
      sms: [{ message_id: call.post_call_sms_id, source: 'post_call', to: caller, message: texts.body }],
      bookings: [{ booking_id: booked.value!.booking_id, call_id: call.id, status: 'accepted' }],
    });
    expect(ended.json.data.transcript.some((t: any) => t.role === 'caller')).toBe(true);

    const detail = await l.account.api.get(`/v1/calls/${call.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      summary: SUMMARY,
      post_call_sms: 'sent',
      sms: [{ message_id: call.post_call_sms_id, source: 'post_call' }],
      bookings: [{ booking_id: booked.value!.booking_id }],
    });
    firstCall = { id: call.id, caller, messageId: call.post_call_sms_id };
  });

  it('run again after a crash between the SMS and the end of the wrap-up, sends no second SMS and no second call.ended', async () => {
    expect(firstCall).toBeDefined();
    const { id, caller, messageId } = firstCall!;
    // As if voice died after messaging accepted the SMS and before the wrap-up was marked done.
    await stack.sql(
      `UPDATE voice.calls SET wrapup_state = 'pending', wrapup_due_at = now(), post_call_sms_state = NULL,
         post_call_sms_id = NULL WHERE id = $1`,
      [id],
    );
    const [again] = await waitFor('the wrap-up run again', async () => {
      const rows = await stack.sql(`SELECT * FROM voice.calls WHERE id = $1 AND wrapup_state = 'done'`, [id]);
      return rows.length ? rows : undefined;
    });
    expect(again.post_call_sms_state).toBe('sent');
    expect(again.post_call_sms_id).toBe(messageId);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await textsTo(caller)).toHaveLength(1);
    expect(events('call.ended', id)).toHaveLength(1);
  });

  it('sends no post-call SMS after an outbound call nobody answered, and still posts call.ended', async () => {
    const l = await line('/outbound');
    const callee = ukMobile('0487');
    const res = await l.account.api.post('/v1/calls', {
      agent_id: l.agent.id,
      from_number: l.phone,
      to: callee,
    });
    expect(res.status).toBe(202);
    const ended = await endedEvent(res.body.call_id);
    expect(ended.json.data).toMatchObject({
      status: 'no-answer',
      end_reason: 'not_answered',
      summary: null,
      post_call_sms: 'skipped_not_eligible',
      sms: [],
      bookings: [],
    });
    expect(events('call.started', res.body.call_id)).toHaveLength(0);
    expect(await textsTo(callee)).toHaveLength(0);
    const [row] = await stack.sql(`SELECT summary_state FROM voice.calls WHERE id = $1`, [res.body.call_id]);
    expect(row.summary_state).toBe('no_conversation');
  });

  it('still texts the caller when the LLM is down: the summary is null and renders empty', async () => {
    const l = await line('/llm-down', 'Thanks for calling {{business_name}}. {{call_summary}}');
    // Every completion fails: the call's reply (the caller hears the apology) and the summary.
    await llmBehaviour(stack, { fail: { status: 500, count: 1000 } });
    const caller = ukMobile('6102');
    const report = await placeCall(stack, caller, l.phone, {
      steps: [{ silence_ms: 1200 }, { say: 'Can I book a cleaning?' }],
      then: 'wait_for_end',
    });
    const call = await wrappedUp(report.call_sid);
    expect(call.status).toBe('completed');
    expect(call.summary).toBeNull();
    expect(call.summary_state).toBe('failed');
    expect(call.post_call_sms_state).toBe('sent');
    const [text] = await waitFor('the post-call SMS', async () => {
      const t = await textsTo(caller);
      return t.length ? t : undefined;
    });
    expect(text.body).toBe('Thanks for calling Bright Bite Leeds.');
    const ended = await endedEvent(call.id);
    expect(ended.json.data).toMatchObject({ summary: null, post_call_sms: 'sent', bookings: [] });
  });

  it('sends no post-call SMS to a caller who opted out, and the call still works', async () => {
    const l = await line('/opted-out');
    const caller = ukMobile('6103');
    await inbound(stack, caller, l.phone, 'STOP');
    await waitFor('the opt-out listed', async () => {
      const res = await l.account.api.get(`/v1/opt-outs?phone_number=${encodeURIComponent(l.phone)}`);
      return res.body.data?.find((o: any) => o.recipient === caller);
    });
    const report = await placeCall(stack, caller, l.phone, {
      steps: [{ say: 'Are you open on Saturday?' }, { silence_ms: 1200 }],
    });
    expect(report.status).toBe('completed');
    const call = await wrappedUp(report.call_sid);
    expect(call.post_call_sms_state).toBe('skipped_opted_out');
    const ended = await endedEvent(call.id);
    expect(ended.json.data).toMatchObject({
      status: 'completed',
      post_call_sms: 'skipped_opted_out',
      sms: [],
    });
    // Only the opt-out's own confirmation may have gone to the caller, never the template.
    expect((await textsTo(caller)).filter((t) => t.body.startsWith('Thanks for calling'))).toEqual([]);
  });

  it('survives kill -9 of voice mid-wrap-up: the restarted voice finishes it, one summary, one SMS, one call.ended', async () => {
    const l = await line('/crash');
    await llmBehaviour(stack, { script: [{ match: 'Summarise', reply: SUMMARY }] });
    const caller = ukMobile('6104');
    // Messaging down: the wrap-up writes the summary, cannot send the SMS, and is put off.
    await stack.kill('messaging');
    const report = await placeCall(stack, caller, l.phone, {
      steps: [{ say: 'Please book me in for a filling.' }, { silence_ms: 1200 }],
    });
    expect(report.status).toBe('completed');
    const pending = await waitFor('the summary written, the SMS put off', async () => {
      const [c] = await stack.sql(`SELECT * FROM voice.calls WHERE twilio_sid = $1`, [report.call_sid]);
      return c?.summary_state === 'written' && c.wrapup_last_error ? c : undefined;
    });
    expect(pending.wrapup_state).toBe('pending');
    expect(pending.post_call_sms_state).toBeNull();

    await stack.kill('voice');
    await stack.restart('messaging');
    await stack.restart('voice');
    // The gateway's health asks every service, voice included.
    await stack.waitHealthy(90_000);

    const call = await wrappedUp(report.call_sid);
    expect(call.summary).toBe(SUMMARY);
    expect(call.post_call_sms_state).toBe('sent');
    const ended = await endedEvent(call.id);
    expect(ended.json.data).toMatchObject({ summary: SUMMARY, post_call_sms: 'sent' });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await textsTo(caller)).filter((t) => t.body.startsWith('Thanks for calling'))).toHaveLength(1);
    expect(events('call.ended', call.id)).toHaveLength(1);
    const summaries = (await llmRequests(stack)).filter((r) =>
      JSON.stringify(r.body.messages).includes('Summarise this call'),
    );
    expect(summaries).toHaveLength(1);
  }, 180_000);

  it('answers the call detail without texts and bookings when their owners are down', async () => {
    expect(firstCall).toBeDefined();
    const [row] = await stack.sql(`SELECT account_id FROM voice.calls WHERE id = $1`, [firstCall!.id]);
    await stack.kill('messaging');
    try {
      const detail = await client.request('calls.get.v1', { account_id: row.account_id, id: firstCall!.id });
      expect(detail).toMatchObject({ summary: SUMMARY, post_call_sms: 'sent', sms: null });
      expect(detail.bookings).toHaveLength(1);
    } finally {
      await stack.restart('messaging');
    }
  });
});
