import { inbound, llmRequests } from '../factories/inbound';
import { sandboxMessages, ukMobile } from '../factories/sms';
import {
  VoiceLine,
  callRecord,
  callTurns,
  llmBehaviour,
  llmReset,
  placeCall,
  voiceLine,
} from '../factories/voice';
import { http } from '../harness/api';
import { Stack, waitFor } from '../harness/stack';

/** A Monday far enough ahead that its slots are free whatever the date today (London is on UTC then). */
const MONDAY = '2030-01-07';
const NINE = `${MONDAY}T09:00:00.000Z`;

const calcomAdmin = (stack: Stack, method: string, path: string, body?: unknown) =>
  http<any>(method, `${stack.calcomUrl}/__admin${path}`, body === undefined ? {} : { body });

/**
 * The agent acts during a call: texts the caller (a `[SEND_SMS: …]` tag in
 * its streamed words, or the `send_sms` tool) and books into the number's
 * Cal.com calendar, with a filler while tools run. Real services, the Twilio
 * and Cal.com sandboxes, the stub LLM's scripted answers and tool calls.
 */
describe('The agent acts during a call', () => {
  let stack: Stack;
  let line: VoiceLine;

  beforeAll(async () => {
    stack = await Stack.start({
      env: {
        VOICE_FIRST_TOKEN_TIMEOUT_MS: '2000',
        // On a loaded machine the in-call SMS can take longer than the default 1 s to settle.
        VOICE_ACTION_OUTCOME_WAIT_MS: '5000',
        VOICE_SILENCE_REPROMPT_MS: '5000',
        VOICE_SILENCE_HANGUP_MS: '5000',
        LLM_MAX_RETRIES: '0',
        // Longer than the stall limit above: a slow calendar must not count as a stalled agent.
        CALCOM_TIMEOUT_MS: '3000',
      },
    });
    line = await voiceLine(stack);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });
  afterEach(async () => {
    await llmReset(stack);
    await calcomAdmin(stack, 'POST', '/faults', { mode: 'none' });
  });

  /** A number of the same account whose calendar is event type `eventType` with `apiKey`. */
  const calendarLine = (eventType: string, apiKey = `cal_test_${eventType}_key`) =>
    voiceLine(stack, {
      account: line.account,
      agent: line.agent,
      number: { calendar: { api_key: apiKey, event_type_id: eventType, time_zone: 'Europe/London' } },
    });

  /** The tool results the model was given, in order, parsed. */
  const toolResults = async (): Promise<any[]> =>
    (await requests()).flatMap((msgs) => {
      const last = msgs[msgs.length - 1];
      return last.role === 'tool' ? [JSON.parse(last.content)] : [];
    });

  /** The agent's spoken turns of a call report (greeting first). */
  const spoken = (report: any): string[] => report.relay.turns.map((t: any) => t.text as string);

  /** The chat messages of every LLM request made so far. */
  const requests = async (): Promise<any[][]> => (await llmRequests(stack)).map((r) => r.body.messages);

  it('texts the caller what a tag split across tokens says, never speaks the tag, and tells the agent', async () => {
    const caller = ukMobile('7101');
    await llmBehaviour(stack, {
      token_delay_ms: 5,
      script: [
        {
          match: 'text me the code',
          reply: 'Sure. [SEND_SMS: Your code is 1234] I have texted you the code.',
        },
        { match: 'thanks', reply: 'You are welcome.' },
      ],
    });
    const report = await placeCall(stack, caller, line.phone, {
      steps: [{ say: 'Can you text me the code?' }, { say: 'Thanks.' }],
    });
    expect(report.status).toBe('completed');
    const heard = spoken(report);
    expect(heard[1]).toBe('Sure. I have texted you the code.');
    for (const t of report.relay.turns) {
      for (const k of t.tokens) expect(k.token).not.toMatch(/SEND|\[|\]|1234/);
    }
    // The tag's text was spread over several tokens of the stream.
    const stream = (await llmRequests(stack)).length;
    expect(stream).toBe(2);

    const sms = await waitFor(
      'the in-call SMS',
      async () => {
        const msgs = (await sandboxMessages(stack, { to: caller })).filter((m) => m.from === line.phone);
        return msgs.length >= 1 ? msgs : undefined;
      },
      10_000,
      100,
    );
    expect(sms.map((m) => m.body)).toEqual(['Your code is 1234']);

    const call = await callRecord(stack, report.call_sid, (c) => c.ended_at !== null);
    const listed = await waitFor(
      'the SMS listed by call',
      async () => {
        const res = await line.account.api.get(`/v1/sms?call_id=${call.id}`);
        return res.status === 200 && res.body.data.length >= 1 ? res.body.data : undefined;
      },
      10_000,
      100,
    );
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ to: caller, from_number: line.phone });

    // The next request told the model the text went, as a system note before the caller's words.
    const second = (await requests())[1];
    const note = second[second.length - 2];
    expect(note.role).toBe('system');
    expect(note.content).toContain('Your code is 1234');
    expect(note.content).toContain('was sent');
    expect(second[second.length - 1]).toMatchObject({ role: 'user', content: 'Thanks.' });

    // Stored turns are what was heard: no tag, no note.
    const turns = await callTurns(stack, call.id);
    expect(turns.map((t) => t.role)).toEqual(['agent', 'caller', 'agent', 'caller', 'agent']);
    expect(turns[2].text).toBe(heard[1]);
    await new Promise((r) => setTimeout(r, 500));
    expect((await sandboxMessages(stack, { to: caller })).filter((m) => m.from === line.phone)).toHaveLength(
      1,
    );
  });

  it('texts once for the send_sms tool, with a short filler, and gives the model the result', async () => {
    const caller = ukMobile('7102');
    await llmBehaviour(stack, {
      script: [
        {
          match: 'send me the address',
          tool_calls: [{ name: 'send_sms', arguments: { text: '12 High Street, Leeds' } }],
        },
        { match: '"ok":true', reply: 'I have sent you the address.' },
      ],
    });
    const report = await placeCall(stack, caller, line.phone, {
      steps: [{ say: 'Please send me the address.' }],
    });
    expect(report.status).toBe('completed');
    expect(spoken(report)[1]).toBe('One moment. I have sent you the address.');

    const sms = await waitFor(
      'the tool SMS',
      async () => {
        const msgs = (await sandboxMessages(stack, { to: caller })).filter((m) => m.from === line.phone);
        return msgs.length >= 1 ? msgs : undefined;
      },
      10_000,
      100,
    );
    expect(sms.map((m) => m.body)).toEqual(['12 High Street, Leeds']);

    const reqs = await requests();
    expect(reqs).toHaveLength(2);
    const toolMsg = reqs[1][reqs[1].length - 1];
    expect(toolMsg.role).toBe('tool');
    const result = JSON.parse(toolMsg.content);
    expect(result).toMatchObject({ ok: true, say: expect.any(String) });
    expect(result.message_id).toMatch(/^msg_/);
    const first = (await llmRequests(stack))[0].body;
    expect(first.tools.map((t: any) => t.function.name)).toEqual(['send_sms']);
    expect(first.messages[0].content).toContain('SEND_SMS');

    const call = await callRecord(stack, report.call_sid, (c) => c.ended_at !== null);
    const turns = await callTurns(stack, call.id);
    expect(turns[2].text).toBe('One moment. I have sent you the address.');
  });

  it('sends nothing to a caller who opted out; the call goes on and the agent is told', async () => {
    const caller = ukMobile('7103');
    await inbound(stack, caller, line.phone, 'STOP');
    await waitFor(
      'the opt-out',
      async () => {
        const res = await line.account.api.get('/v1/opt-outs');
        return res.status === 200 && JSON.stringify(res.body).includes(caller) ? true : undefined;
      },
      10_000,
      100,
    );
    await llmReset(stack);
    await llmBehaviour(stack, {
      script: [
        { match: 'text me the code', reply: 'Sure. [SEND_SMS: Your code is 9876] Done.' },
        {
          match: 'the address',
          tool_calls: [{ name: 'send_sms', arguments: { text: '12 High Street' } }],
        },
        { match: 'opted out', reply: 'I cannot text you, so here it is: 12 High Street.' },
      ],
    });
    const report = await placeCall(stack, caller, line.phone, {
      steps: [{ say: 'Text me the code.' }, { say: 'And the address?' }],
    });
    expect(report.status).toBe('completed');
    const heard = spoken(report);
    expect(heard[1]).toBe('Sure. Done.');
    expect(heard[2]).toBe('One moment. I cannot text you, so here it is: 12 High Street.');

    const reqs = await requests();
    // Request 2 (the caller's second turn) carries the tag's outcome as a note.
    const note = reqs[1].find((m: any) => m.role === 'system' && m.content.includes('9876'));
    expect(note.content).toContain('opted out');
    // Request 3 carries the tool's result.
    const tool = JSON.parse(reqs[2][reqs[2].length - 1].content);
    expect(tool).toMatchObject({ ok: false, error: 'recipient_opted_out' });
    expect(tool.say).toContain('opted out');

    const call = await callRecord(stack, report.call_sid, (c) => c.ended_at !== null);
    expect(call.end_reason).toBe('caller_hung_up');
    await new Promise((r) => setTimeout(r, 500));
    expect((await sandboxMessages(stack, { to: caller })).filter((m) => m.from === line.phone)).toHaveLength(
      0,
    );
  });

  it("books a slot on the call: the caller hears one filler, the booking is the call's", async () => {
    const cal = await calendarLine('701');
    const caller = ukMobile('7104');
    await llmBehaviour(stack, {
      script: [
        {
          match: 'book a cleaning',
          tool_calls: [{ name: 'check_availability', arguments: { from_date: MONDAY, to_date: MONDAY } }],
        },
        {
          match: '"slots"',
          tool_calls: [
            {
              name: 'book_appointment',
              arguments: { start: NINE, name: 'Ann Smith', email: 'ann@example.com' },
            },
          ],
        },
        { match: '"booking_id"', reply: 'You are booked for Monday at nine.' },
      ],
    });
    const report = await placeCall(stack, caller, cal.phone, {
      steps: [{ say: 'Can I book a cleaning on Monday at nine?' }],
    });
    expect(report.status).toBe('completed');
    expect(spoken(report)[1]).toBe('One moment while I check. You are booked for Monday at nine.');

    const first = (await llmRequests(stack))[0].body;
    expect(first.tools.map((t: any) => t.function.name)).toEqual([
      'send_sms',
      'check_availability',
      'book_appointment',
    ]);
    expect(first.messages[0].content).toContain('Europe/London');
    const [slots, booked] = await toolResults();
    expect(slots.ok).toBe(true);
    expect(slots.slots.map((s: any) => s.start)).toContain(NINE);
    expect(booked).toMatchObject({ ok: true, start: NINE });

    const call = await callRecord(stack, report.call_sid, (c) => c.ended_at !== null);
    expect(call.end_reason).toBe('caller_hung_up');
    const res = await line.account.api.get(`/v1/bookings?call_id=${call.id}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0]).toMatchObject({
      booking_id: booked.booking_id,
      call_id: call.id,
      phone_number: cal.phone,
      contact: caller,
      status: 'accepted',
      start: NINE,
    });
    const atCalcom = (await calcomAdmin(stack, 'GET', '/bookings')).body;
    expect(atCalcom.filter((b: any) => b.eventTypeId === 701 || b.eventTypeId === '701')).toHaveLength(1);
  });

  it('tells the agent a slot taken after it looked, with alternatives, and the call goes on', async () => {
    const cal = await calendarLine('702');
    const caller = ukMobile('7105');
    await llmBehaviour(stack, {
      delay_ms: 400,
      script: [
        {
          match: 'monday at nine',
          tool_calls: [{ name: 'check_availability', arguments: { from_date: MONDAY, to_date: MONDAY } }],
        },
        {
          match: '"slots"',
          tool_calls: [
            {
              name: 'book_appointment',
              arguments: { start: NINE, name: 'Ann Smith', email: 'ann@example.com' },
            },
          ],
        },
        { match: 'slot_unavailable', reply: 'That time was just taken. Would half past nine suit you?' },
        { match: 'no thanks', reply: 'No problem. Goodbye.' },
      ],
    });
    await calcomAdmin(stack, 'DELETE', '/requests');
    const placed = placeCall(stack, caller, cal.phone, {
      steps: [{ say: 'Monday at nine please.' }, { say: 'No thanks.' }],
    });
    // Someone else takes nine o'clock once the agent has seen it free, before it books.
    await waitFor(
      'the availability request',
      async () => {
        const reqs = (await http<any[]>('GET', `${stack.calcomUrl}/__admin/requests`)).body;
        return reqs.some((r) => r.path.startsWith('/v2/slots')) || undefined;
      },
      10_000,
      20,
    );
    const taken = await calcomAdmin(stack, 'POST', '/bookings', { eventTypeId: '702', start: NINE });
    expect(taken.status).toBe(201);
    const report = await placed;

    expect(report.status).toBe('completed');
    const heard = spoken(report);
    expect(heard[1]).toBe(
      'One moment while I check. That time was just taken. Would half past nine suit you?',
    );
    expect(heard[2]).toBe('No problem. Goodbye.');
    const [, failed] = await toolResults();
    expect(failed).toMatchObject({ ok: false, error: 'slot_unavailable' });
    expect(failed.say).toEqual(expect.any(String));
    expect(failed.alternatives.length).toBeGreaterThan(0);
    expect(failed.alternatives.map((a: any) => a.start)).not.toContain(NINE);

    const call = await callRecord(stack, report.call_sid, (c) => c.ended_at !== null);
    expect(call.end_reason).toBe('caller_hung_up');
    const res = await line.account.api.get(`/v1/bookings?call_id=${call.id}`);
    expect(res.body.data.map((b: any) => b.status)).toEqual(['failed']);
  });

  it.each([
    ['a key Cal.com refuses (401)', 'calendar_auth_failed', '703', 'cal_test_revoked_key', null],
    ['Cal.com down', 'calendar_unavailable', '704', undefined, 'down'],
    ['Cal.com silent for longer than the stall limit', 'calendar_timeout', '705', undefined, 'hang'],
  ])(
    'gives the agent a sayable result for %s, and the call goes on',
    async (_what, code, eventType, key, fault) => {
      const cal = await calendarLine(eventType, key);
      const caller = ukMobile(`72${eventType.slice(-2)}`);
      if (fault) await calcomAdmin(stack, 'POST', '/faults', { mode: fault });
      await llmBehaviour(stack, {
        script: [
          {
            match: 'free on monday',
            tool_calls: [{ name: 'check_availability', arguments: { from_date: MONDAY, to_date: MONDAY } }],
          },
          { match: code, reply: 'I cannot reach the calendar just now. Can I help with anything else?' },
          { match: 'that is all', reply: 'Thank you for calling. Goodbye.' },
        ],
      });
      const report = await placeCall(stack, caller, cal.phone, {
        steps: [{ say: 'Are you free on Monday?' }, { say: 'That is all.' }],
      });
      expect(report.status).toBe('completed');
      const heard = spoken(report);
      expect(heard[1]).toBe(
        'One moment while I check. I cannot reach the calendar just now. Can I help with anything else?',
      );
      expect(heard[2]).toBe('Thank you for calling. Goodbye.');
      const [result] = await toolResults();
      expect(result).toMatchObject({ ok: false, error: code });
      expect(result.say).toEqual(expect.any(String));
      expect(JSON.stringify(result)).not.toContain('cal_test');

      const call = await callRecord(stack, report.call_sid, (c) => c.ended_at !== null);
      expect(call).toMatchObject({ end_reason: 'caller_hung_up', error_code: null });
    },
  );

  it('lets the caller cut in while a tool runs: the turn stops at the filler, the next one is answered', async () => {
    const cal = await calendarLine('706');
    const caller = ukMobile('7206');
    await calcomAdmin(stack, 'POST', '/faults', { mode: 'hang' });
    await llmBehaviour(stack, {
      script: [
        {
          match: 'free on monday',
          tool_calls: [{ name: 'check_availability', arguments: { from_date: MONDAY, to_date: MONDAY } }],
        },
        { match: 'hello', reply: 'Yes, I am here.' },
      ],
    });
    const report = await placeCall(stack, caller, cal.phone, {
      steps: [{ say: 'Are you free on Monday?', barge_in_after_tokens: 1 }, { say: 'Hello?' }],
    });
    expect(report.status).toBe('completed');
    const [, cut, next] = report.relay.turns;
    expect(cut).toMatchObject({ interrupted: true, heard: 'One moment while I check.' });
    expect(next.text).toBe('Yes, I am here.');

    const call = await callRecord(stack, report.call_sid, (c) => c.ended_at !== null);
    expect(call).toMatchObject({ end_reason: 'caller_hung_up', error_code: null });
    const turns = await callTurns(stack, call.id);
    expect(turns.map((t) => [t.role, t.text, t.interrupted])).toEqual([
      ['agent', expect.any(String), false],
      ['caller', 'Are you free on Monday?', false],
      ['agent', 'One moment while I check.', true],
      ['caller', 'Hello?', false],
      ['agent', 'Yes, I am here.', false],
    ]);
  });
});
