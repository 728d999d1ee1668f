import { startSandbox, type SandboxHandle } from '../../tools/twilio-sandbox/src/server';
import { addNumber, adminCall, createAccount, phone, type TestAccount } from './helpers';
import { relayTwiml, sendText, startVoiceApp, streamTokens, type VoiceApp } from './voice-app';

/**
 * Inbound calls placed with POST /__admin/calls: the signed voice webhook,
 * TwiML, a ConversationRelay session driven by a CallScript against a test
 * application, the Connect action and the status callback.
 */

const XML = '<?xml version="1.0" encoding="UTF-8"?>';

describe('twilio-sandbox inbound voice calls', () => {
  let sandbox: SandboxHandle;
  let base: string;
  let app: VoiceApp;
  let acct: TestAccount;
  let number: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    base = sandbox.url;
    acct = await createAccount(base);
    app = await startVoiceApp(() => acct.token);
    number = phone('7000');
    await addNumber(base, acct.sid, {
      phone_number: number,
      voice_url: `${app.url}/voice`,
      status_callback: `${app.url}/status`,
    });
  });

  afterAll(async () => {
    await sandbox.close();
    await app.close();
  });

  beforeEach(() => {
    app.requests.length = 0;
    app.relays.length = 0;
    app.onFrame = () => undefined;
  });

  const place = (body: Record<string, unknown>) =>
    adminCall(base, 'POST', '/__admin/calls', { from: '+15551230001', to: number, wait: true, ...body });

  it('runs a three-step script with partial prompts, barge-in and DTMF, then the action and status callback', async () => {
    app.twiml = (req) =>
      req.path === '/voice'
        ? {
            body: relayTwiml({
              action: `${app.url}/relay-ended`,
              url: `${app.wsUrl}/relay?tenant=acme`,
              welcomeGreeting: "Hi, you've reached Smile Dental.",
              parameters: { call_id: 'call_123' },
            }),
          }
        : { body: `${XML}<Response><Say>Goodbye.</Say><Hangup/></Response>` };
    let interrupted = false;
    app.onFrame = (conn, frame) => {
      if (frame.type === 'prompt' && frame.last === true) {
        if (String(frame.voicePrompt).startsWith("I'd like")) {
          void streamTokens(conn, ['Sure, ', 'I ', 'can ', 'book ', 'that.'], 2);
        } else {
          void streamTokens(
            conn,
            ['Our ', 'prices ', 'start ', 'at ', 'fifty ', 'dollars ', 'for ', 'a ', 'cleaning.'],
            25,
            () => interrupted,
          );
        }
      }
      if (frame.type === 'interrupt') interrupted = true;
      if (frame.type === 'dtmf') {
        void streamTokens(conn, ['You ', 'pressed ', `${String(frame.digit)}.`], 1).then(() =>
          conn.ws.send(JSON.stringify({ type: 'end', handoffData: '{"reason":"done"}' })),
        );
      }
    };

    const report = await place({
      script: {
        steps: [
          { say: "I'd like to book a cleaning", partials: true },
          { say: 'What are your prices?', barge_in_after_tokens: 2 },
          { dtmf: '1' },
        ],
        then: 'wait_for_end',
      },
    });

    expect(report.call_sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(report).toMatchObject({ direction: 'inbound', status: 'completed', outcome: 'completed' });

    // 1. The voice webhook: signed, Twilio's fields.
    const [voice] = app.forPath('/voice');
    expect(voice.signatureValid).toBe(true);
    expect(voice.params).toMatchObject({
      CallSid: report.call_sid,
      AccountSid: acct.sid,
      From: '+15551230001',
      To: number,
      CallStatus: 'ringing',
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
    });

    // 2. The TwiML and the relay attributes are in the report.
    expect(report.twiml).toContain('<ConversationRelay');
    expect(report.relay.url).toBe(`${app.wsUrl}/relay?tenant=acme`);
    expect(report.relay.attributes).toMatchObject({
      welcomeGreeting: "Hi, you've reached Smile Dental.",
      voice: 'en-GB-Journey-D',
      ttsProvider: 'Google',
      language: 'en-GB',
      interruptible: 'any',
      dtmfDetection: 'true',
    });
    expect(report.relay.parameters).toEqual({ call_id: 'call_123' });

    // 3. The handshake was signed over the full URL (query included); setup came first.
    const [conn] = app.relays;
    expect(conn.signatureValid).toBe(true);
    expect(conn.frames[0]).toMatchObject({
      type: 'setup',
      sessionId: report.relay.session_id,
      accountSid: acct.sid,
      callSid: report.call_sid,
      from: '+15551230001',
      to: number,
      direction: 'inbound',
      callStatus: 'in-progress',
      customParameters: { call_id: 'call_123' },
    });
    expect(report.relay.session_id).toMatch(/^VX[0-9a-f]{32}$/);
    const prompts = conn.frames.filter((f) => f.type === 'prompt');
    expect(prompts.filter((p) => p.last === false).length).toBeGreaterThan(0);
    expect(prompts.filter((p) => p.last === true).map((p) => p.voicePrompt)).toEqual([
      "I'd like to book a cleaning",
      'What are your prices?',
    ]);
    expect(prompts[0]).toMatchObject({ lang: 'en-GB' });

    // 4. Turns: the greeting, a full reply, an interrupted reply, the DTMF answer.
    const turns = report.relay.turns;
    expect(turns.map((t: { after: string }) => t.after)).toEqual(['greeting', 'say', 'say', 'dtmf']);
    expect(turns[0].text).toBe("Hi, you've reached Smile Dental.");
    expect(turns[1]).toMatchObject({
      prompt: "I'd like to book a cleaning",
      text: 'Sure, I can book that.',
      last_received: true,
      interrupted: false,
    });
    expect(turns[1].first_token_ms).toBeGreaterThanOrEqual(0);
    expect(turns[1].tokens[0]).toMatchObject({ token: 'Sure, ' });
    expect(turns[2]).toMatchObject({ interrupted: true, heard: 'Our prices ' });
    const interrupt = conn.frames.find((f) => f.type === 'interrupt');
    expect(interrupt).toMatchObject({ utteranceUntilInterrupt: 'Our prices ' });
    expect(interrupt?.durationUntilInterruptMs).toBeGreaterThanOrEqual(15);
    // The application stopped: far fewer tokens than the nine it would have sent.
    expect(turns[2].tokens.length).toBeLessThan(9);
    expect(turns[3]).toMatchObject({ prompt: '1', text: 'You pressed 1.', last_received: true });
    expect(conn.frames).toContainEqual({ type: 'dtmf', digit: '1' });

    // 5. The application said end: SessionStatus=ended with the handoff data, action TwiML ran.
    expect(report.relay).toMatchObject({
      session_status: 'ended',
      handoff_data: '{"reason":"done"}',
      protocol_errors: [],
    });
    expect(report.relay.frames.map((f: { type: string }) => f.type)).toEqual(['end']);
    const [ended] = app.forPath('/relay-ended');
    expect(ended.signatureValid).toBe(true);
    expect(ended.params).toMatchObject({
      CallSid: report.call_sid,
      AccountSid: acct.sid,
      From: '+15551230001',
      To: number,
      Direction: 'inbound',
      CallStatus: 'in-progress',
      SessionId: report.relay.session_id,
      SessionStatus: 'ended',
      HandoffData: '{"reason":"done"}',
    });
    expect(Number(ended.params.SessionDuration)).toBeGreaterThanOrEqual(0);
    expect(report.action.verbs.map((v: { kind: string }) => v.kind)).toEqual(['say', 'hangup']);
    expect(report.said).toEqual(['Goodbye.']);

    // 6. One status callback: completed, signed, with a duration.
    const [status] = app.forPath('/status');
    expect(status.signatureValid).toBe(true);
    expect(status.params).toMatchObject({
      CallSid: report.call_sid,
      AccountSid: acct.sid,
      From: '+15551230001',
      To: number,
      Direction: 'inbound',
      CallStatus: 'completed',
      CallbackSource: 'call-progress-events',
      SequenceNumber: '0',
    });
    expect(Number(status.params.CallDuration)).toBeGreaterThanOrEqual(0);
    expect(status.params.Timestamp).toMatch(/\+0000$/);
    expect(report.status_callbacks).toHaveLength(1);

    // The report is there afterwards, and in the list.
    const fetched = await adminCall(base, 'GET', `/__admin/calls/${report.call_sid}`);
    expect(fetched.relay.turns).toHaveLength(4);
    const listed = await adminCall(base, 'GET', `/__admin/calls?to=${encodeURIComponent(number)}`);
    expect(listed[0].call_sid).toBe(report.call_sid);
  });

  it('a closing last:true for an interrupted reply is not taken for the end of the next turn', async () => {
    app.twiml = () => ({ body: relayTwiml({ url: `${app.wsUrl}/relay` }) });
    let stopped = false;
    app.onFrame = (conn, frame) => {
      if (frame.type === 'interrupt') {
        stopped = true;
        // An application that closes the interrupted turn explicitly, a little later.
        setTimeout(() => sendText(conn, '', true), 30);
      }
      if (frame.type === 'prompt' && frame.voicePrompt === 'Tell me everything') {
        void streamTokens(conn, ['One ', 'two ', 'three ', 'four ', 'five ', 'six.'], 20, () => stopped);
      }
      if (frame.type === 'prompt' && frame.voicePrompt === 'Stop. When are you open?') {
        void streamTokens(conn, ['Nine ', 'to ', 'five.'], 40);
      }
    };
    const report = await place({
      script: {
        steps: [{ say: 'Tell me everything', barge_in_after_tokens: 2 }, { say: 'Stop. When are you open?' }],
      },
    });
    const [first, second] = report.relay.turns;
    expect(first).toMatchObject({ interrupted: true, heard: 'One two ', last_received: true });
    expect(second).toMatchObject({ text: 'Nine to five.', last_received: true, interrupted: false });
    expect(second.first_token_ms).toBeGreaterThanOrEqual(0);
  });

  it('records play, sendDigits and language frames, and unknown or malformed frames as protocol errors', async () => {
    app.twiml = (req) =>
      req.path === '/voice'
        ? { body: relayTwiml({ url: `${app.wsUrl}/relay`, action: `${app.url}/relay-ended` }) }
        : { body: `${XML}<Response><Hangup/></Response>` };
    app.onFrame = (conn, frame) => {
      if (frame.type !== 'prompt') return;
      conn.ws.send(JSON.stringify({ type: 'play', source: 'https://example.com/hold.mp3' }));
      conn.ws.send(
        JSON.stringify({ type: 'language', ttsLanguage: 'fr-FR', transcriptionLanguage: 'fr-FR' }),
      );
      conn.ws.send(JSON.stringify({ type: 'sendDigits', digits: '1234' }));
      conn.ws.send(JSON.stringify({ type: 'speak', token: 'nope' }));
      conn.ws.send('not json');
      conn.ws.send(JSON.stringify({ type: 'text', last: true }));
      conn.ws.send(JSON.stringify({ type: 'end' }));
    };
    const report = await place({ script: { steps: [{ say: 'Hello' }], then: 'wait_for_end' } });
    expect(report.relay.frames.map((f: { type: string }) => f.type)).toEqual([
      'play',
      'language',
      'sendDigits',
      'end',
    ]);
    expect(report.relay.frames[2].frame).toEqual({ type: 'sendDigits', digits: '1234' });
    expect(report.relay.protocol_errors.map((e: { reason: string }) => e.reason)).toEqual([
      'unknown frame type "speak"',
      'not a JSON object',
      'text frame without a string token',
    ]);
    expect(report.relay).toMatchObject({ session_status: 'ended', handoff_data: null });
    expect(app.forPath('/relay-ended')[0].params.HandoffData).toBeUndefined();
  });

  it('an application that closes the socket without end fails the session', async () => {
    app.twiml = (req) =>
      req.path === '/voice'
        ? { body: relayTwiml({ url: `${app.wsUrl}/relay`, action: `${app.url}/relay-ended` }) }
        : { body: `${XML}<Response><Hangup/></Response>` };
    app.onFrame = (conn, frame) => {
      if (frame.type === 'prompt') conn.ws.close(1011, 'boom');
    };
    const report = await place({ script: { steps: [{ say: 'Hello' }, { say: 'Anyone?' }] } });
    expect(report.relay).toMatchObject({
      session_status: 'failed',
      close: { code: 1011, reason: 'boom', by: 'application' },
      steps_played: 1,
    });
    expect(app.forPath('/relay-ended')[0].params.SessionStatus).toBe('failed');
  });

  it('a call that outlives script.timeout_ms is hung up by the caller (outcome timeout)', async () => {
    app.twiml = (req) =>
      req.path === '/voice'
        ? { body: relayTwiml({ url: `${app.wsUrl}/relay`, action: `${app.url}/relay-ended` }) }
        : { body: `${XML}<Response><Hangup/></Response>` };
    const started = Date.now();
    const report = await place({ script: { steps: [], then: 'wait_for_end', timeout_ms: 300 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(report).toMatchObject({ outcome: 'timeout', status: 'completed' });
    expect(report.relay.session_status).toBe('completed');
    expect(app.forPath('/relay-ended')[0].params).toMatchObject({
      SessionStatus: 'completed',
      CallStatus: 'completed',
    });
  });

  it('a turn the agent never finishes is cut by turn_timeout_ms', async () => {
    app.twiml = () => ({ body: relayTwiml({ url: `${app.wsUrl}/relay` }) });
    app.onFrame = (conn, frame) => {
      if (frame.type === 'prompt') sendText(conn, 'Let me think');
    };
    const report = await place({ script: { steps: [{ say: 'Hello' }], turn_timeout_ms: 150 } });
    expect(report.relay.turns[0]).toMatchObject({
      text: 'Let me think',
      last_received: false,
      timed_out: true,
    });
  });

  it('a caller who hangs up ends the session as completed; the action TwiML is not run', async () => {
    app.twiml = (req) =>
      req.path === '/voice'
        ? { body: relayTwiml({ action: `${app.url}/relay-ended`, url: `${app.wsUrl}/relay` }) }
        : { body: `${XML}<Response><Say>Never heard.</Say></Response>` };
    app.onFrame = (conn, frame) => {
      if (frame.type === 'prompt') void streamTokens(conn, ['Hello ', 'there.'], 0);
    };
    const report = await place({ script: { steps: [{ say: 'Hi' }, { hangup: true }] } });
    expect(report.relay.session_status).toBe('completed');
    expect(report.relay.close.by).toBe('sandbox');
    const [ended] = app.forPath('/relay-ended');
    expect(ended.params).toMatchObject({ SessionStatus: 'completed', CallStatus: 'completed' });
    expect(report.said).toEqual([]);
    expect(report).toMatchObject({ status: 'completed', outcome: 'completed' });
  });

  it('a refused handshake fails the session: handshake_status recorded, action posted with SessionStatus=failed', async () => {
    app.twiml = (req) =>
      req.path === '/voice'
        ? { body: relayTwiml({ action: `${app.url}/relay-ended`, url: `${app.wsUrl}/refuse` }) }
        : { body: `${XML}<Response><Hangup/></Response>` };
    const report = await place({ script: { steps: [{ say: 'Hello?' }] } });
    expect(report.relay).toMatchObject({ handshake_status: 403, session_status: 'failed', turns: [] });
    expect(app.relays).toHaveLength(0);
    const [ended] = app.forPath('/relay-ended');
    expect(ended.signatureValid).toBe(true);
    expect(ended.params).toMatchObject({ SessionStatus: 'failed', CallSid: report.call_sid });
    expect(report.status).toBe('completed');
    expect(app.forPath('/status')[0].params.CallStatus).toBe('completed');
  });

  it('a non-2xx or unparseable answer is an application error (the call leg still ends completed)', async () => {
    app.twiml = () => ({ status: 500, body: 'oops' });
    const http500 = await place({});
    expect(http500).toMatchObject({ outcome: 'application_error', status: 'completed', error_code: 11200 });
    expect(http500.webhook.http_status).toBe(500);

    app.twiml = () => ({ body: `${XML}<Response><Say>unclosed</Response>` });
    const badXml = await place({});
    expect(badXml).toMatchObject({ outcome: 'application_error', status: 'completed', error_code: 12100 });
    expect(badXml.relay).toBeNull();

    app.twiml = () => ({ body: `${XML}<Play>x</Play>` });
    expect(await place({})).toMatchObject({ outcome: 'application_error' });

    const callbacks = app.forPath('/status');
    expect(callbacks.map((r) => r.params.CallStatus)).toEqual(['completed', 'completed', 'completed']);
    expect(callbacks.every((r) => r.signatureValid)).toBe(true);
  });

  it('<Reject/> ends the call busy; <Say> and <Pause> are recorded', async () => {
    app.twiml = () => ({ body: `${XML}<Response><Reject reason="busy"/></Response>` });
    expect(await place({})).toMatchObject({ outcome: 'rejected', status: 'busy', duration: 0 });
    app.twiml = () => ({
      body: `${XML}<Response><Say voice="alice">We are closed.</Say><Pause length="0"/><Hangup/></Response>`,
    });
    const said = await place({});
    expect(said).toMatchObject({ outcome: 'completed', status: 'completed', said: ['We are closed.'] });
    expect(said.webhook.verbs[0]).toMatchObject({ kind: 'say', attributes: { voice: 'alice' } });
  });

  it('duplicates status callbacks on request, and wait:false answers at once', async () => {
    app.twiml = () => ({ body: `${XML}<Response><Hangup/></Response>` });
    const placed = await place({ wait: false, callbacks: { duplicate: true } });
    expect(placed.status).toBe('ringing');
    await app.waitFor(() => app.forPath('/status').length === 2);
    const [a, b] = app.forPath('/status');
    expect(a.params).toEqual(b.params);
    expect(a.params.CallSid).toBe(placed.call_sid);
    const report = await adminCall(base, 'GET', `/__admin/calls/${placed.call_sid}`);
    expect(report.status_callbacks.map((c: { copy: number }) => c.copy)).toEqual([1, 2]);
  });

  it('refuses calls to numbers the sandbox does not hold or that have no voice_url, and bad scripts', async () => {
    const res = await fetch(`${base}/__admin/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+15551230001', to: phone('7001') }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty('error');
    const bare = phone('7002');
    await addNumber(base, acct.sid, { phone_number: bare });
    const noUrl = await fetch(`${base}/__admin/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+15551230001', to: bare }),
    });
    expect(noUrl.status).toBe(404);
    const badScript = await fetch(`${base}/__admin/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+15551230001', to: number, script: { steps: [{ sing: 'la' }] } }),
    });
    expect(badScript.status).toBe(400);
  });

  it('reset clears calls', async () => {
    app.twiml = () => ({ body: `${XML}<Response><Hangup/></Response>` });
    await place({});
    expect((await adminCall(base, 'GET', '/__admin/calls')).length).toBeGreaterThan(0);
    await adminCall(base, 'POST', '/__admin/reset');
    expect(await adminCall(base, 'GET', '/__admin/calls')).toEqual([]);
    // Restore the fixtures for any later test.
    await createAccount(base, { account_sid: acct.sid, auth_token: acct.token });
    await addNumber(base, acct.sid, {
      phone_number: number,
      voice_url: `${app.url}/voice`,
      status_callback: `${app.url}/status`,
    });
  });
});
