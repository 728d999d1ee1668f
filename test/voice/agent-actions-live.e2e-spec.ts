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
import { Stack, waitFor } from '../harness/stack';

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
        VOICE_SILENCE_REPROMPT_MS: '5000',
        VOICE_SILENCE_HANGUP_MS: '5000',
        LLM_MAX_RETRIES: '0',
      },
    });
    line = await voiceLine(stack);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });
  afterEach(() => llmReset(stack));

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
    expect(heard[1]).toBe('Sure.  I have texted you the code.');
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
    expect(heard[1]).toBe('Sure.  Done.');
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
});
