import twilio from 'twilio';
import { createTwilioClient } from '../../libs/common/src/twilio/twilio-client';
import { startSandbox, type SandboxHandle } from '../../tools/twilio-sandbox/src/server';
import {
  addNumber,
  adminCall,
  createAccount,
  phone,
  sleep,
  startReceiver,
  twilioRaw,
  type Receiver,
  type TestAccount,
} from './helpers';

/** Injected faults: API errors, dropped connections after create, unruly callbacks. */

describe('twilio-sandbox faults', () => {
  let sandbox: SandboxHandle;
  let base: string;
  let receiver: Receiver;
  let acct: TestAccount;
  let client: twilio.Twilio;
  let sender: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    base = sandbox.url;
    receiver = await startReceiver();
  });

  beforeEach(async () => {
    await adminCall(base, 'POST', '/__admin/reset');
    acct = await createAccount(base);
    sender = phone('9100');
    await addNumber(base, acct.sid, { phone_number: sender });
    client = createTwilioClient(acct.sid, acct.token, base);
  });

  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  const setFaults = (faults: unknown) => adminCall(base, 'POST', '/__admin/faults', faults);

  it('api 429 x2: two RestExceptions with 20429 and Retry-After, then success', async () => {
    const faults = await setFaults({ api: { status: 429, count: 2 } });
    expect(faults.api).toEqual({ status: 429, count: 2 });
    const raw = await twilioRaw(base, acct, 'GET', `/2010-04-01/Accounts/${acct.sid}.json`);
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('1');
    expect(raw.json).toEqual({
      code: 20429,
      message: 'Too Many Requests',
      more_info: 'https://www.twilio.com/docs/errors/20429',
      status: 429,
    });
    const err = await client.messages
      .create({ to: phone('1000'), from: sender, body: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(twilio.RestException);
    expect(err).toMatchObject({ status: 429, code: 20429 });
    const ok = await client.messages.create({ to: phone('1000'), from: sender, body: 'x' });
    expect(ok.status).toBe('queued');
    expect((await adminCall(base, 'GET', '/__admin/faults')).api).toBeNull();
    // Only the successful create was stored.
    expect(await adminCall(base, 'GET', `/__admin/messages?account_sid=${acct.sid}`)).toHaveLength(1);
  });

  it('api faults can target a path and use 500/503', async () => {
    await setFaults({ api: { status: 503, count: 1, path_contains: '/Messages.json' } });
    await expect(client.api.v2010.accounts(acct.sid).fetch()).resolves.toBeDefined();
    await expect(client.messages.list({ limit: 1 })).rejects.toMatchObject({ status: 503, code: 20503 });
    await expect(client.messages.list({ limit: 1 })).resolves.toEqual([]);
    await setFaults({ api: { status: 500, count: 1 } });
    await expect(client.api.v2010.accounts(acct.sid).fetch()).rejects.toMatchObject({ status: 500 });
  });

  it('drop_after_create: the SDK sees a socket error, yet the message exists and can be reconciled', async () => {
    await setFaults({ drop_after_create: { count: 1 } });
    const to = phone('1001');
    const err: any = await client.messages
      .create({ to, from: sender, body: 'did it reach Twilio?' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(twilio.RestException);
    expect(err.code).toBe('ECONNRESET');
    const found = await client.messages.list({ to, from: sender });
    expect(found).toHaveLength(1);
    expect(found[0].body).toBe('did it reach Twilio?');
    // Faults are one-shot: the next create answers normally.
    await expect(client.messages.create({ to, from: sender, body: 'again' })).resolves.toMatchObject({
      status: 'queued',
    });
    const log = await adminCall(base, 'GET', '/__admin/requests?path_contains=Messages.json&method=POST');
    expect(log.map((e: any) => e.status)).toEqual([0, 201]);
  });

  it('duplicate + shuffle: every callback twice, in random order per message', async () => {
    await setFaults({ callbacks: { duplicate: true, shuffle: true } });
    const paths: string[] = [];
    for (let i = 0; i < 8; i++) {
      const statusPath = `/dup-shuffle/${i}`;
      paths.push(statusPath);
      await client.messages.create({
        to: phone('1002'),
        from: sender,
        body: 'x',
        statusCallback: `${receiver.url}${statusPath}`,
      });
    }
    await receiver.waitFor(() => paths.every((p) => receiver.forPath(p).length >= 6));
    await sleep(50);
    const orders = paths.map((p) => receiver.forPath(p).map((r) => r.params.MessageStatus));
    for (const order of orders) {
      expect(order).toHaveLength(6);
      expect([...order].sort()).toEqual(['delivered', 'delivered', 'sending', 'sending', 'sent', 'sent']);
      expect(order[0]).toBe(order[1]); // a duplicate follows its original
    }
    // With 8 messages the chance that every one stayed in order is (1/6)^8.
    expect(orders.some((o) => o.join() !== 'sending,sending,sent,sent,delivered,delivered')).toBe(true);
    for (const p of paths) {
      for (const r of receiver.forPath(p)) {
        expect(
          twilio.validateRequest(acct.token, String(r.headers['x-twilio-signature']), r.url, r.params),
        ).toBe(true);
      }
    }
  });

  it('hold queues callbacks until release; status still advances', async () => {
    await setFaults({ callbacks: { hold: true } });
    const statusPath = '/held';
    const msg = await client.messages.create({
      to: phone('1003'),
      from: sender,
      body: 'x',
      statusCallback: `${receiver.url}${statusPath}`,
    });
    await sleep(100);
    expect(receiver.forPath(statusPath)).toHaveLength(0);
    expect((await adminCall(base, 'GET', '/__admin/faults')).held_callbacks).toBe(3);
    expect((await client.messages(msg.sid).fetch()).status).toBe('delivered');
    await setFaults({ callbacks: null });
    expect(await adminCall(base, 'POST', '/__admin/callbacks/release')).toEqual({ released: 3 });
    await receiver.waitFor(() => receiver.forPath(statusPath).length >= 3);
    expect(receiver.forPath(statusPath).map((r) => r.params.MessageStatus)).toEqual([
      'sending',
      'sent',
      'delivered',
    ]);
  });

  it('callbacks.delay_ms slows the progression', async () => {
    await setFaults({ callbacks: { delay_ms: 150 } });
    const msg = await client.messages.create({ to: phone('1004'), from: sender, body: 'slow' });
    await sleep(60);
    expect((await client.messages(msg.sid).fetch()).status).toBe('queued');
    await sleep(450);
    expect((await client.messages(msg.sid).fetch()).status).toBe('delivered');
  });

  it('rejects malformed faults and reset clears state and faults', async () => {
    const res = await fetch(`${base}/__admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ api: { status: 200, count: 1 } }),
    });
    expect(res.status).toBe(400);
    await setFaults({
      api: { status: 429, count: 5 },
      drop_after_create: { count: 1 },
      calls_create: { mode: 'error', status: 500, count: 2 },
      call_callbacks: { duplicate: true },
    });
    await adminCall(base, 'POST', '/__admin/reset');
    expect(await adminCall(base, 'GET', '/__admin/faults')).toEqual({
      api: null,
      messages_create: null,
      drop_after_create: null,
      callbacks: null,
      calls_create: null,
      call_callbacks: null,
      held_callbacks: 0,
    });
    await expect(client.api.v2010.accounts(acct.sid).fetch()).rejects.toMatchObject({ status: 401 });
  });
});
