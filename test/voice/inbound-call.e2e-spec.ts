import { inbound, llmRequests } from '../factories/inbound';
import { ukMobile } from '../factories/sms';
import {
  VoiceLine,
  callRecord,
  callSid,
  callTurns,
  llmBehaviour,
  llmReset,
  placeCall,
  postTwilio,
  relayClient,
  relayHandshake,
  voiceLine,
  watchCallEnded,
} from '../factories/voice';
import { Stack, waitFor } from '../harness/stack';

/**
 * Inbound calls end to end: the sandbox places a call to an imported number
 * (signed voice webhook to apps/webhooks, TwiML from voice, the signed relay
 * WebSocket on voice, a scripted caller), the stub LLM streams the agent's
 * words, and Twilio's callbacks end the call.
 */
describe('Inbound calls land on the agent', () => {
  let stack: Stack;
  let line: VoiceLine;
  let ended: Awaited<ReturnType<typeof watchCallEnded>>;

  beforeAll(async () => {
    stack = await Stack.start({
      env: {
        VOICE_FIRST_TOKEN_TIMEOUT_MS: '1000',
        VOICE_SILENCE_REPROMPT_MS: '1200',
        VOICE_SILENCE_HANGUP_MS: '1200',
        LLM_MAX_RETRIES: '0',
      },
    });
    ended = await watchCallEnded(stack);
    line = await voiceLine(stack, {
      number: { custom_prompt: 'Business name: Smile Dental\nOpen 9 to 5 on weekdays.' },
    });
  }, 60_000);
  afterAll(async () => {
    await ended?.close();
    await stack?.stop();
  });
  afterEach(() => llmReset(stack));

  it('answers a three-turn call with the agent prompt, profile, earlier texts and calls; stores turns and status', async () => {
    const caller = ukMobile('4321');
    await inbound(stack, caller, line.phone, 'Do you do teeth whitening?');
    await waitFor('the SMS reply', async () => (await llmRequests(stack)).length >= 1 || undefined);

    const first = await placeCall(stack, caller, line.phone, {
      steps: [{ say: 'I would like to book a cleaning.' }],
    });
    expect(first.status).toBe('completed');
    await callRecord(stack, first.call_sid, (c) => c.ended_at !== null);

    const report = await placeCall(stack, caller, line.phone, {
      steps: [{ say: "Hi, it's me again." }, { say: 'Can I come on Tuesday?' }, { say: 'Thanks, bye.' }],
    });
    expect(report.status).toBe('completed');
    expect(report.relay.handshake_status).toBe(101);
    expect(report.relay.protocol_errors).toEqual([]);
    const turns = report.relay.turns;
    expect(turns[0]).toMatchObject({
      after: 'greeting',
      text: "Hello, you've reached Smile Dental. How can I help you today?",
    });
    expect(turns.slice(1).map((t: any) => [t.prompt, t.last_received, t.timed_out])).toEqual([
      ["Hi, it's me again.", true, false],
      ['Can I come on Tuesday?', true, false],
      ['Thanks, bye.', true, false],
    ]);
    // Streamed: several tokens per turn, each reply the stub's answer to that prompt.
    expect(turns[2].tokens.length).toBeGreaterThan(3);
    expect(turns[2].text).toContain('Can I come on Tuesday?');

    const reqs = (await llmRequests(stack)).map((r) => r.body);
    const last = reqs[reqs.length - 1];
    expect(last.stream).toBe(true);
    const system: string = last.messages[0].content;
    expect(system).toContain('You are the receptionist.');
    expect(system).toContain('BUSINESS PROFILE');
    expect(system).toContain('Open 9 to 5 on weekdays.');
    expect(system).toContain('CALLER HISTORY');
    expect(system).toContain('Do you do teeth whitening?');
    expect(system).toContain('I would like to book a cleaning.');
    expect(system).toContain('VOICE CALL');
    expect(last.messages.slice(1).map((m: any) => m.role)).toEqual([
      'assistant',
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ]);
    expect(last.messages[last.messages.length - 1].content).toBe('Thanks, bye.');

    const call = await callRecord(stack, report.call_sid, (c) => c.ended_at !== null);
    expect(call).toMatchObject({
      direction: 'inbound',
      status: 'completed',
      end_reason: 'caller_hung_up',
      our_number: line.phone,
      other_party: caller,
      voice: 'en-US-Journey-O',
    });
    expect(call.duration_s).toBe(report.duration);
    expect(call.answered_at).not.toBeNull();
    const stored = await callTurns(stack, call.id);
    expect(stored.map((t) => t.role)).toEqual([
      'agent',
      'caller',
      'agent',
      'caller',
      'agent',
      'caller',
      'agent',
    ]);
    expect(stored[0].text).toBe(turns[0].text);
    expect(stored.filter((t) => t.role === 'caller').map((t) => t.text)).toEqual([
      "Hi, it's me again.",
      'Can I come on Tuesday?',
      'Thanks, bye.',
    ]);
    expect(stored[6].text).toBe(turns[3].text);
    const history = await stack.sql(
      `SELECT status, source FROM voice.call_status_history WHERE call_id = $1 ORDER BY id`,
      [call.id],
    );
    expect(history).toEqual([
      { status: 'ringing', source: 'twilio_callback' },
      { status: 'in-progress', source: 'relay' },
      { status: 'completed', source: 'twilio_callback' },
    ]);
    await waitFor('call.ended', async () => ended.counts.get(call.id) === 1 || undefined);
  });

  it('speaks with the number voice and greeting, else the agent', async () => {
    const withAgentSettings = await voiceLine(stack, {
      account: line.account,
      agentBody: { voice: 'en-GB-Journey-D', welcome_greeting: 'Thanks for calling {{business_name}}!' },
      number: { custom_prompt: 'Business name: Bright Smiles' },
    });
    const own = await voiceLine(stack, {
      account: line.account,
      agent: withAgentSettings.agent,
      number: {
        voice: 'en-US-Neural2-F',
        welcome_greeting: 'Hi, this is {{business_name}} on the other line.',
      },
    });
    const hangUp = { steps: [{ hangup: true as const }] };
    const a = await placeCall(stack, ukMobile(), withAgentSettings.phone, hangUp);
    const b = await placeCall(stack, ukMobile(), own.phone, hangUp);
    expect(a.relay.attributes).toMatchObject({
      voice: 'en-GB-Journey-D',
      welcomeGreeting: 'Thanks for calling Bright Smiles!',
      ttsProvider: 'Google',
      language: 'en-US',
      interruptible: 'any',
      dtmfDetection: 'true',
    });
    // No profile on this number: the agent's name stands in for the business.
    expect(b.relay.attributes).toMatchObject({
      voice: 'en-US-Neural2-F',
      welcomeGreeting: 'Hi, this is Receptionist on the other line.',
    });
    const callA = await callRecord(stack, a.call_sid);
    expect(a.relay.parameters).toEqual({ call_id: callA.id });
    expect(a.relay.url).toBe(`ws://127.0.0.1:${stack.ports.voice}/twilio/voice/relay?call_id=${callA.id}`);
    expect(a.twiml).toContain(`action="${stack.env.PUBLIC_WEBHOOK_BASE_URL}/twilio/voice/relay-ended"`);
    expect(callA.voice).toBe('en-GB-Journey-D');
    expect((await callRecord(stack, b.call_sid)).voice).toBe('en-US-Neural2-F');
  });

  it('keeps only what the caller heard when they barge in, and answers key presses', async () => {
    await llmBehaviour(stack, { token_delay_ms: 40 });
    const report = await placeCall(stack, ukMobile(), line.phone, {
      steps: [{ say: 'What are your prices for a cleaning?', barge_in_after_tokens: 3 }, { dtmf: '1' }],
    });
    const [, barged, pressed] = report.relay.turns;
    expect(barged.interrupted).toBe(true);
    expect(barged.heard.split(' ').filter(Boolean).length).toBeGreaterThanOrEqual(2);
    expect(pressed.last_received).toBe(true);
    const call = await callRecord(stack, report.call_sid, (c) => c.ended_at !== null);
    const stored = await callTurns(stack, call.id);
    expect(stored).toEqual([
      { role: 'agent', text: expect.any(String), interrupted: false },
      { role: 'caller', text: 'What are your prices for a cleaning?', interrupted: false },
      { role: 'agent', text: barged.heard, interrupted: true },
      { role: 'caller', text: '[pressed 1]', interrupted: false },
      { role: 'agent', text: pressed.text, interrupted: false },
    ]);
    // The turn after the barge-in was asked with the heard part as the agent's turn.
    const reqs = (await llmRequests(stack)).map((r) => r.body);
    const messages = reqs[reqs.length - 1].messages;
    expect(messages[messages.length - 2]).toEqual({ role: 'assistant', content: barged.heard });
    expect(messages[messages.length - 1]).toEqual({ role: 'user', content: '[pressed 1]' });
  });

  it('refuses forged webhooks and handshakes, unknown numbers and calls with one 403; records a failed relay', async () => {
    const params = (to: string, sid = callSid()) => ({
      CallSid: sid,
      AccountSid: line.twilio.account_sid,
      From: ukMobile(),
      To: to,
      CallStatus: 'ringing',
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
    });
    const forged = await postTwilio(stack, '/twilio/voice', params(line.phone), null);
    const unknown = await postTwilio(stack, '/twilio/voice', params(ukMobile()), line.twilio.auth_token);
    const wrongToken = await postTwilio(stack, '/twilio/voice', params(line.phone), 'not-the-token');
    expect(forged.status).toBe(403);
    expect(unknown).toEqual(forged);
    expect(wrongToken).toEqual(forged);
    expect(
      await stack.sql(`SELECT id FROM voice.calls WHERE our_number = $1 AND status = 'ringing'`, [
        line.phone,
      ]),
    ).toEqual([]);

    // A properly signed webhook opens a call; its relay socket takes only Twilio's signature.
    const sid = callSid();
    const answered = await postTwilio(
      stack,
      '/twilio/voice',
      params(line.phone, sid),
      line.twilio.auth_token,
    );
    expect(answered.status).toBe(200);
    expect(answered.body).toContain('<ConversationRelay');
    const call = await callRecord(stack, sid);
    const relayPath = `/twilio/voice/relay?call_id=${call.id}`;
    expect(await relayHandshake(stack, relayPath, null)).toBe(403);
    expect(await relayHandshake(stack, relayPath, 'not-the-token')).toBe(403);
    expect(
      await relayHandshake(
        stack,
        '/twilio/voice/relay?call_id=call_0123456789abcdef',
        line.twilio.auth_token,
      ),
    ).toBe(403);
    expect(
      await relayHandshake(stack, `/twilio/voice/other?call_id=${call.id}`, line.twilio.auth_token),
    ).toBe(403);
    expect(await relayHandshake(stack, relayPath, line.twilio.auth_token)).toBe(101);

    // The relay failed: the record says so once Twilio's final status ends the call.
    const relayFailed = {
      ...params(line.phone, sid),
      CallStatus: 'in-progress',
      SessionStatus: 'failed',
      SessionDuration: '0',
    };
    expect((await postTwilio(stack, '/twilio/voice/relay-ended', relayFailed, null)).status).toBe(403);
    // A caller still on the line after a broken session hears an apology, then the call hangs up.
    const apology = await postTwilio(stack, '/twilio/voice/relay-ended', relayFailed, line.twilio.auth_token);
    expect(apology).toEqual({
      status: 200,
      body:
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry, we\'ve lost the connection on our side. ' +
        'Please call back in a moment. Goodbye.</Say><Hangup/></Response>',
    });
    await callRecord(stack, sid, (c) => c.end_reason === 'relay_error');
    const status = {
      ...params(line.phone, sid),
      CallStatus: 'completed',
      CallDuration: '0',
      SequenceNumber: '0',
    };
    expect((await postTwilio(stack, '/twilio/voice-status', status, null)).status).toBe(403);
    expect((await postTwilio(stack, '/twilio/voice-status', status, line.twilio.auth_token)).status).toBe(
      200,
    );
    const ended = await callRecord(stack, sid, (c) => c.status === 'completed');
    expect(ended).toMatchObject({ end_reason: 'relay_error', error_code: 'relay_failed', duration_s: 0 });
  });

  it('lets a newer signed socket for a call replace the live one, carrying the conversation on', async () => {
    const sid = callSid();
    const from = ukMobile();
    const params = {
      CallSid: sid,
      AccountSid: line.twilio.account_sid,
      From: from,
      To: line.phone,
      CallStatus: 'ringing',
      Direction: 'inbound',
    };
    expect((await postTwilio(stack, '/twilio/voice', params, line.twilio.auth_token)).status).toBe(200);
    const call = await callRecord(stack, sid);
    const setup = {
      type: 'setup',
      callSid: sid,
      accountSid: line.twilio.account_sid,
      from,
      to: line.phone,
      direction: 'inbound',
      customParameters: { call_id: call.id },
    };

    const first = await relayClient(stack, call.id, line.twilio.auth_token);
    first.send(setup);
    first.send({ type: 'prompt', voicePrompt: 'Do you open on Saturdays?', lang: 'en-US', last: true });
    expect(await first.nextTurn()).toContain('Do you open on Saturdays?');

    const second = await relayClient(stack, call.id, line.twilio.auth_token);
    expect(await first.closed).toEqual({ code: 1000, reason: 'replaced by a newer session' });
    second.send(setup);
    second.send({ type: 'prompt', voicePrompt: 'And Sundays?', lang: 'en-US', last: true });
    expect(await second.nextTurn()).toContain('And Sundays?');
    const reqs = (await llmRequests(stack)).map((r) => r.body);
    expect(
      reqs[reqs.length - 1].messages.slice(1).map((m: any) => m.role + ': ' + m.content.slice(0, 25)),
    ).toEqual([
      `assistant: Hello, you've reached Smi`,
      'user: Do you open on Saturdays?',
      expect.stringMatching(/^assistant: Thanks for your message/),
      'user: And Sundays?',
    ]);
    second.ws.close();
    await second.closed;
    // One greeting (the new session carried the conversation on), every turn once, in order.
    const stored = await waitFor('the turns', async () => {
      const t = await callTurns(stack, call.id);
      return t.length >= 5 ? t : undefined;
    });
    expect(stored.map((t) => `${t.role}: ${t.text.slice(0, 12)}`)).toEqual([
      "agent: Hello, you'v",
      'caller: Do you open ',
      'agent: Thanks for y',
      'caller: And Sundays?',
      'agent: Thanks for y',
    ]);
  });

  it('apologises and ends the call when the LLM fails, sends nothing in time, or stalls', async () => {
    await llmBehaviour(stack, { fail: { status: 500, count: 5 } });
    const failed = await placeCall(stack, ukMobile(), line.phone, {
      steps: [{ say: 'Hello?' }],
      then: 'wait_for_end',
    });
    await llmReset(stack);
    await llmBehaviour(stack, { hang: true });
    const slow = await placeCall(stack, ukMobile(), line.phone, {
      steps: [{ say: 'Hello?' }],
      then: 'wait_for_end',
    });
    await llmReset(stack);

    for (const [report, code] of [
      [failed, 'llm_failed'],
      [slow, 'llm_timeout'],
    ] as const) {
      const turn = report.relay.turns[1];
      expect(turn.text).toBe(
        "I'm sorry, I'm having trouble right now. I've noted your call and someone will call you back. Goodbye.",
      );
      expect(turn.last_received).toBe(true);
      expect(report.relay.session_status).toBe('ended');
      expect(report.relay.frames.map((f: any) => f.type)).toEqual(['end']);
      expect(JSON.parse(report.relay.handoff_data)).toEqual({ reason: 'llm_failed' });
      const call = await callRecord(stack, report.call_sid, (c) => c.ended_at !== null);
      expect(call).toMatchObject({ status: 'completed', end_reason: 'llm_failed', error_code: code });
      // Our wording for the tenant; the provider's error text is in the voice service's log only.
      if (code === 'llm_failed') expect(call.error_message).toBe('The language model failed (HTTP 500)');
    }
    expect(slow.relay.turns[1].first_token_ms).toBeGreaterThanOrEqual(900);

    // A stream that stalls after a few words: those words, then the apology.
    await llmBehaviour(stack, { stall_after_tokens: 3 });
    const stalled = await placeCall(stack, ukMobile(), line.phone, {
      steps: [{ say: 'Hello?' }],
      then: 'wait_for_end',
    });
    await llmReset(stack);
    const turn = stalled.relay.turns[1];
    expect(turn.text).toMatch(/^Thanks for your I'm sorry, I'm having trouble right now\./);
    expect(turn.text.endsWith('someone will call you back. Goodbye.')).toBe(true);
    const call = await callRecord(stack, stalled.call_sid, (c) => c.ended_at !== null);
    expect(call).toMatchObject({ end_reason: 'llm_failed', error_code: 'llm_timeout' });
    expect(call.error_message).toContain('stalled');
    const stored = await callTurns(stack, call.id);
    expect(stored[stored.length - 1].text).toBe(turn.text);
  });

  it('moves the status forward only, whatever order and however often Twilio reports it; call.ended once', async () => {
    const report = await placeCall(
      stack,
      ukMobile(),
      line.phone,
      { steps: [{ say: 'Just checking.' }] },
      { callbacks: { duplicate: true } },
    );
    expect(report.status_callbacks.filter((c: any) => c.call_status === 'completed')).toHaveLength(2);
    const call = await callRecord(stack, report.call_sid, (c) => c.ended_at !== null);
    const late = (status: string, seq: string) => ({
      CallSid: report.call_sid,
      AccountSid: line.twilio.account_sid,
      From: report.from,
      To: line.phone,
      CallStatus: status,
      Direction: 'inbound',
      SequenceNumber: seq,
      ...(status === 'busy' ? {} : { CallDuration: '99' }),
    });
    for (const [status, seq] of [
      ['ringing', '0'],
      ['in-progress', '1'],
      ['busy', '7'],
      ['completed', '8'],
    ]) {
      expect(
        (await postTwilio(stack, '/twilio/voice-status', late(status, seq), line.twilio.auth_token)).status,
      ).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const after = await callRecord(stack, report.call_sid);
    expect(after).toMatchObject({
      status: 'completed',
      duration_s: call.duration_s,
      end_reason: 'caller_hung_up',
    });
    const finals = await stack.sql(
      `SELECT status FROM voice.call_status_history WHERE call_id = $1 AND status NOT IN ('ringing', 'in-progress')`,
      [call.id],
    );
    expect(finals).toEqual([{ status: 'completed' }]);
    expect(ended.counts.get(call.id)).toBe(1);
  });

  it('asks a silent caller if they are still there, then says goodbye and ends', async () => {
    const report = await placeCall(stack, ukMobile(), line.phone, {
      steps: [],
      then: 'wait_for_end',
      timeout_ms: 15_000,
    });
    const spoken = report.relay.turns.map((t: any) => t.text);
    expect(spoken[1]).toBe('Are you still there?');
    expect(spoken[2]).toContain('Goodbye.');
    expect(JSON.parse(report.relay.handoff_data)).toEqual({ reason: 'silence' });
    const call = await callRecord(stack, report.call_sid, (c) => c.ended_at !== null);
    expect(call.end_reason).toBe('silence');
    expect((await callTurns(stack, call.id)).map((t) => t.text)).toEqual(spoken);
  });

  it('answers an apology and hangs up when voice is down', async () => {
    await stack.kill('voice');
    const report = await placeCall(stack, ukMobile(), line.phone, { steps: [] });
    expect(report.webhook.http_status).toBe(200);
    expect(report.said).toEqual([
      "Sorry, we can't take your call right now. Please try again in a few minutes.",
    ]);
    expect(report.twiml).toContain('<Hangup/>');
    expect(report.relay).toBeNull();
    expect(report.status).toBe('completed');
  }, 30_000);
});
