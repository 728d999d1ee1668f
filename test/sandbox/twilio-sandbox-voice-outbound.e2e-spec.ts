import type twilio from 'twilio';
import { createTwilioClient } from '../../libs/common/src/twilio/twilio-client';
import { startSandbox, type SandboxHandle } from '../../tools/twilio-sandbox/src/server';
import { addNumber, adminCall, createAccount, expectSchema, phone, type TestAccount } from './helpers';
import { relayTwiml, startVoiceApp, streamTokens, type VoiceApp } from './voice-app';

/** Outbound calls through the twilio SDK: create, fetch, list, hang up, callee rules, faults. */

const XML = '<?xml version="1.0" encoding="UTF-8"?>';

interface RestError {
  status: number;
  code: number;
}

describe('twilio-sandbox outbound voice calls', () => {
  let sandbox: SandboxHandle;
  let base: string;
  let app: VoiceApp;
  let acct: TestAccount;
  let client: twilio.Twilio;
  let caller: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    base = sandbox.url;
    acct = await createAccount(base);
    app = await startVoiceApp(() => acct.token);
    caller = phone('8000');
    await addNumber(base, acct.sid, { phone_number: caller });
    client = createTwilioClient(acct.sid, acct.token, base);
  });

  afterAll(async () => {
    await sandbox.close();
    await app.close();
  });

  beforeEach(async () => {
    app.requests.length = 0;
    app.relays.length = 0;
    app.onFrame = () => undefined;
    await adminCall(base, 'POST', '/__admin/faults', { calls_create: null, call_callbacks: null });
  });

  const report = (sid: string) => adminCall(base, 'GET', `/__admin/calls/${sid}`);

  async function untilFinal(sid: string, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await report(sid);
      if (['completed', 'busy', 'failed', 'no-answer', 'canceled'].includes(r.status)) {
        // The final callback may still be on its way.
        await new Promise((res) => setTimeout(res, 50));
        return report(sid);
      }
      if (Date.now() > deadline) throw new Error(`call ${sid} still ${r.status}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  const allEvents = ['initiated', 'ringing', 'answered', 'completed'];

  it('creates a call (queued), rings, answers, runs the relay with the callee script and reports every event', async () => {
    const to = phone('5000');
    await adminCall(base, 'PUT', `/__admin/callee-scripts/${encodeURIComponent(to)}`, {
      steps: [{ say: 'Hi, who is this?' }],
      then: 'hangup',
    });
    app.twiml = (req) =>
      req.path === '/outbound'
        ? {
            body: relayTwiml({
              action: `${app.url}/relay-ended`,
              url: `${app.wsUrl}/relay`,
              parameters: { campaign: 'recall' },
            }),
          }
        : { body: `${XML}<Response><Hangup/></Response>` };
    app.onFrame = (conn, frame) => {
      if (frame.type === 'prompt') void streamTokens(conn, ['This ', 'is ', 'Smile ', 'Dental.'], 1);
    };

    const call = await client.calls.create({
      to,
      from: caller,
      url: `${app.url}/outbound`,
      statusCallback: `${app.url}/status`,
      statusCallbackEvent: allEvents,
      machineDetection: 'Enable',
      timeout: 20,
    });
    expect(call.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(call).toMatchObject({ status: 'queued', direction: 'outbound-api', from: caller, to });
    expect(call.startTime).toBeNull();

    const done = await untilFinal(call.sid);
    expect(done).toMatchObject({ status: 'completed', outcome: 'completed', direction: 'outbound-api' });
    const [webhook] = app.forPath('/outbound');
    expect(webhook.signatureValid).toBe(true);
    expect(webhook.params).toMatchObject({
      CallSid: call.sid,
      AccountSid: acct.sid,
      From: caller,
      To: to,
      Direction: 'outbound-api',
      CallStatus: 'in-progress',
    });
    expect(app.relays[0].frames[0]).toMatchObject({
      type: 'setup',
      direction: 'outbound-api',
      from: caller,
      to,
      customParameters: { campaign: 'recall' },
    });
    expect(done.relay.turns[0]).toMatchObject({ prompt: 'Hi, who is this?', text: 'This is Smile Dental.' });
    expect(app.forPath('/relay-ended')[0].params).toMatchObject({ SessionStatus: 'completed' });

    const statuses = app.forPath('/status');
    expect(statuses.map((s) => s.params.CallStatus)).toEqual([
      'initiated',
      'ringing',
      'in-progress',
      'completed',
    ]);
    expect(statuses.map((s) => s.params.SequenceNumber)).toEqual(['0', '1', '2', '3']);
    for (const s of statuses) {
      expect(s.signatureValid).toBe(true);
      expect(s.params).toMatchObject({
        CallSid: call.sid,
        CallbackSource: 'call-progress-events',
        Direction: 'outbound-api',
      });
    }
    expect(Number(statuses[3].params.CallDuration)).toBeGreaterThanOrEqual(0);

    const fetched = await client.calls(call.sid).fetch();
    expect(fetched.status).toBe('completed');
    expect(fetched.startTime).toBeInstanceOf(Date);
    expect(fetched.duration).toMatch(/^\d+$/);
    const raw = await fetch(`${base}/2010-04-01/Accounts/${acct.sid}/Calls/${call.sid}.json`, {
      headers: { authorization: 'Basic ' + Buffer.from(`${acct.sid}:${acct.token}`).toString('base64') },
    });
    expectSchema('call', await raw.json());
  });

  it('lists calls with the SDK filters (to, from, startTimeAfter, status) and pages', async () => {
    app.twiml = () => ({ body: `${XML}<Response><Hangup/></Response>` });
    const to = phone('5001');
    const before = new Date(Date.now() - 2000);
    const sids: string[] = [];
    for (let i = 0; i < 3; i++) {
      sids.push((await client.calls.create({ to, from: caller, url: `${app.url}/outbound` })).sid);
    }
    const listed = await client.calls.list({ to, from: caller, startTimeAfter: before, pageSize: 2 });
    expect(listed.map((c) => c.sid)).toEqual(sids.slice().reverse());
    expect(await client.calls.list({ to, startTimeAfter: new Date(Date.now() + 60_000) })).toEqual([]);
    await Promise.all(sids.map((s) => untilFinal(s)));
    expect((await client.calls.list({ to, status: 'completed' })).length).toBe(3);
    const page = await fetch(
      `${base}/2010-04-01/Accounts/${acct.sid}/Calls.json?To=${encodeURIComponent(to)}`,
      {
        headers: { authorization: 'Basic ' + Buffer.from(`${acct.sid}:${acct.token}`).toString('base64') },
      },
    );
    expectSchema('callList', await page.json());
    const admin = await adminCall(base, 'GET', `/__admin/calls?to=${encodeURIComponent(to)}`);
    expect(admin.map((c: { call_sid: string }) => c.call_sid)).toEqual(sids.slice().reverse());
  });

  it('hangs up a live call (Status=completed): the relay session ends as the caller hanging up', async () => {
    const to = phone('5002');
    await adminCall(base, 'PUT', `/__admin/callee-scripts/${encodeURIComponent(to)}`, {
      steps: [{ silence_ms: 10_000 }],
    });
    app.twiml = (req) =>
      req.path === '/outbound'
        ? { body: relayTwiml({ action: `${app.url}/relay-ended`, url: `${app.wsUrl}/relay` }) }
        : { body: `${XML}<Response><Hangup/></Response>` };
    const call = await client.calls.create({ to, from: caller, url: `${app.url}/outbound` });
    await app.waitFor(() => app.relays.length === 1);
    const updated = await client.calls(call.sid).update({ status: 'completed' });
    expect(updated.sid).toBe(call.sid);
    const closed = await app.relays[0].closed;
    expect(closed.code).toBe(1000);
    const done = await untilFinal(call.sid);
    expect(done).toMatchObject({ status: 'completed' });
    expect(done.relay.session_status).toBe('completed');
  });

  it('cancels a call that is still queued or ringing (Status=canceled)', async () => {
    // A sandbox whose calls ring slowly enough to be caught before the answer.
    const slow = await startSandbox({ port: 0, callbackDelayMs: 300 });
    try {
      await createAccount(slow.url, { account_sid: acct.sid, auth_token: acct.token });
      await addNumber(slow.url, acct.sid, { phone_number: caller });
      const slowClient = createTwilioClient(acct.sid, acct.token, slow.url);
      const call = await slowClient.calls.create({
        to: phone('5010'),
        from: caller,
        url: `${app.url}/outbound`,
        statusCallback: `${app.url}/status`,
      });
      await slowClient.calls(call.sid).update({ status: 'canceled' });
      await app.waitFor(() => app.forPath('/status').length === 1);
      expect(app.forPath('/status')[0].params).toMatchObject({ CallSid: call.sid, CallStatus: 'canceled' });
      expect((await slowClient.calls(call.sid).fetch()).status).toBe('canceled');
      expect(app.forPath('/outbound')).toHaveLength(0);
    } finally {
      await slow.close();
    }
  });

  it('redirects a live call to new TwiML', async () => {
    const to = phone('5003');
    await adminCall(base, 'PUT', `/__admin/callee-scripts/${encodeURIComponent(to)}`, {
      steps: [{ silence_ms: 10_000 }],
    });
    app.twiml = () => ({ body: relayTwiml({ url: `${app.wsUrl}/relay` }) });
    const call = await client.calls.create({ to, from: caller, url: `${app.url}/outbound` });
    await app.waitFor(() => app.relays.length === 1);
    await client
      .calls(call.sid)
      .update({ twiml: '<Response><Say>Transferring you now.</Say><Hangup/></Response>' });
    const done = await untilFinal(call.sid);
    expect(done).toMatchObject({ status: 'completed', said: ['Transferring you now.'] });
  });

  it.each([
    ['0486', 'busy'],
    ['0487', 'no-answer'],
    ['0488', 'failed'],
  ])('a callee ending in %s ends the call %s, never fetching the Url', async (last4, final) => {
    const to = phone(last4);
    const call = await client.calls.create({
      to,
      from: caller,
      url: `${app.url}/outbound`,
      statusCallback: `${app.url}/status`,
      statusCallbackEvent: allEvents,
    });
    const done = await untilFinal(call.sid);
    expect(done).toMatchObject({ status: final, outcome: final, duration: 0 });
    expect(app.forPath('/outbound')).toHaveLength(0);
    const statuses = app.forPath('/status').map((s) => s.params.CallStatus);
    expect(statuses[statuses.length - 1]).toBe(final);
    expect(statuses).not.toContain('in-progress');
    expect(app.forPath('/status').pop()?.params.CallDuration).toBe('0');
  });

  it.each([
    ['1211', 21211],
    ['1215', 21215],
    ['3227', 13227],
  ])('a callee ending in %s is refused at create with %d, and nothing is created', async (last4, code) => {
    const to = phone(last4);
    const err = (await client.calls
      .create({ to, from: caller, url: `${app.url}/outbound` })
      .catch((e: unknown) => e)) as RestError;
    expect(err.status).toBe(400);
    expect(err.code).toBe(code);
    expect(await client.calls.list({ to })).toEqual([]);
  });

  it('refuses a From that is not a number of the account (21210) and a missing Url (21205)', async () => {
    const err = (await client.calls
      .create({ to: phone('5004'), from: phone('8001'), url: `${app.url}/outbound` })
      .catch((e: unknown) => e)) as RestError;
    expect(err).toMatchObject({ status: 400, code: 21210 });
    const noUrl = (await client.calls
      .create({ to: phone('5004'), from: caller })
      .catch((e: unknown) => e)) as RestError;
    expect(noUrl).toMatchObject({ status: 400, code: 21205 });
  });

  it('create faults: the call exists though the client saw a 5xx or a dropped connection; error creates nothing', async () => {
    app.twiml = () => ({ body: `${XML}<Response><Hangup/></Response>` });
    const count = async (to: string) =>
      (await adminCall(base, 'GET', `/__admin/calls?to=${encodeURIComponent(to)}`)).length;

    const afterError = phone('5005');
    await adminCall(base, 'POST', '/__admin/faults', {
      calls_create: { mode: 'error_after_create', status: 500, count: 1 },
    });
    const e1 = (await client.calls
      .create({ to: afterError, from: caller, url: `${app.url}/outbound` })
      .catch((e: unknown) => e)) as RestError;
    expect(e1.status).toBe(500);
    expect(await count(afterError)).toBe(1);
    expect((await client.calls.list({ to: afterError, from: caller })).length).toBe(1);

    const afterTimeout = phone('5006');
    await adminCall(base, 'POST', '/__admin/faults', {
      calls_create: { mode: 'timeout_after_create', count: 1 },
    });
    const e2 = await client.calls
      .create({ to: afterTimeout, from: caller, url: `${app.url}/outbound` })
      .catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(Error);
    expect((e2 as RestError).status).toBeUndefined();
    expect(await count(afterTimeout)).toBe(1);

    const plainError = phone('5007');
    await adminCall(base, 'POST', '/__admin/faults', {
      calls_create: { mode: 'error', status: 503, count: 1 },
    });
    const e3 = (await client.calls
      .create({ to: plainError, from: caller, url: `${app.url}/outbound` })
      .catch((e: unknown) => e)) as RestError;
    expect(e3.status).toBe(503);
    expect(await count(plainError)).toBe(0);

    // count is used up: the next create succeeds.
    await expect(
      client.calls.create({ to: plainError, from: caller, url: `${app.url}/outbound` }),
    ).resolves.toMatchObject({
      status: 'queued',
    });
    expect((await adminCall(base, 'GET', '/__admin/faults')).calls_create).toBeNull();
  });

  it('reversed status callbacks arrive newest first, keeping their SequenceNumber', async () => {
    app.twiml = () => ({ body: `${XML}<Response><Hangup/></Response>` });
    await adminCall(base, 'POST', '/__admin/faults', { call_callbacks: { reverse: true } });
    const call = await client.calls.create({
      to: phone('5008'),
      from: caller,
      url: `${app.url}/outbound`,
      statusCallback: `${app.url}/status`,
      statusCallbackEvent: allEvents,
    });
    await untilFinal(call.sid);
    await app.waitFor(() => app.forPath('/status').length === 4);
    const got = app.forPath('/status');
    expect(got.map((s) => s.params.CallStatus)).toEqual(['completed', 'in-progress', 'ringing', 'initiated']);
    expect(got.map((s) => s.params.SequenceNumber)).toEqual(['3', '2', '1', '0']);
  });

  it('inline Twiml runs without fetching a Url; the default callee says "Hello?"', async () => {
    app.onFrame = (conn, frame) => {
      if (frame.type === 'prompt') void streamTokens(conn, ['Hi!'], 0);
    };
    const call = await client.calls.create({
      to: phone('5009'),
      from: caller,
      twiml: relayTwiml({ url: `${app.wsUrl}/relay` }),
    });
    const done = await untilFinal(call.sid);
    expect(done.relay.turns[0]).toMatchObject({ prompt: 'Hello?', text: 'Hi!' });
    expect(app.requests).toHaveLength(0);
  });
});
