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
  type Receiver,
  type ReceivedRequest,
  type TestAccount,
} from './helpers';

/** Status callbacks and inbound SMS webhooks, signed exactly like Twilio signs them. */

describe('twilio-sandbox webhooks', () => {
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
    acct = await createAccount(base);
    sender = phone('9000');
    await addNumber(base, acct.sid, { phone_number: sender, sms_url: `${receiver.url}/sms/inbound` });
    client = createTwilioClient(acct.sid, acct.token, base);
  });

  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  const valid = (r: ReceivedRequest) =>
    twilio.validateRequest(acct.token, String(r.headers['x-twilio-signature']), r.url, r.params);

  async function send(last4: string, tag: string) {
    const to = phone(last4);
    const statusPath = `/status/${tag}`;
    const msg = await client.messages.create({
      to,
      from: sender,
      body: `callback test ${tag}`,
      statusCallback: `${receiver.url}${statusPath}`,
    });
    return { msg, to, statusPath };
  }

  describe('status callbacks', () => {
    it('posts sending, sent, delivered in order, each signed and validating with twilio.validateRequest', async () => {
      const { msg, to, statusPath } = await send('1000', 'ok');
      await receiver.waitFor(() => receiver.forPath(statusPath).length >= 3);
      await sleep(30);
      const got = receiver.forPath(statusPath);
      expect(got.map((r) => r.params.MessageStatus)).toEqual(['sending', 'sent', 'delivered']);
      for (const r of got) {
        expect(r.method).toBe('POST');
        expect(r.headers['content-type']).toContain('application/x-www-form-urlencoded');
        expect(valid(r)).toBe(true);
        expect(r.params).toMatchObject({
          MessageSid: msg.sid,
          SmsSid: msg.sid,
          SmsStatus: r.params.MessageStatus,
          AccountSid: acct.sid,
          From: sender,
          To: to,
          ApiVersion: '2010-04-01',
        });
        expect(r.params.ErrorCode).toBeUndefined();
      }
      // The sandbox computes the same signature as the SDK's helper.
      expect(got[0].headers['x-twilio-signature']).toBe(
        twilio.getExpectedTwilioSignature(acct.token, got[0].url, got[0].params),
      );
      expect(valid({ ...got[0], params: { ...got[0].params, MessageStatus: 'failed' } })).toBe(false);
      const fetched = await client.messages(msg.sid).fetch();
      expect(fetched.status).toBe('delivered');
      const [admin] = await adminCall(base, 'GET', `/__admin/messages?to=${encodeURIComponent(to)}`);
      expect(admin.callbacks.map((c: any) => [c.status, c.http_status])).toEqual([
        ['sending', 200],
        ['sent', 200],
        ['delivered', 200],
      ]);
    });

    it.each([
      ['0003', 'undelivered', 30003],
      ['0005', 'undelivered', 30005],
      ['0006', 'failed', 30006],
      ['0007', 'undelivered', 30007],
      ['0008', 'failed', 30008],
    ])('recipient ending in %s ends %s with ErrorCode %i', async (last4, final, code) => {
      const { msg, statusPath } = await send(last4, `rule-${last4}`);
      await receiver.waitFor(() => receiver.forPath(statusPath).length >= 3);
      const got = receiver.forPath(statusPath);
      expect(got.map((r) => r.params.MessageStatus)).toEqual(['sending', 'sent', final]);
      expect(got[2].params.ErrorCode).toBe(String(code));
      expect(got[0].params.ErrorCode).toBeUndefined();
      expect(got.every(valid)).toBe(true);
      const fetched = await client.messages(msg.sid).fetch();
      expect(fetched.status).toBe(final);
      expect(fetched.errorCode).toBe(code);
    });

    it('recipient ending in 0404 stops at sent', async () => {
      const { msg, statusPath } = await send('0404', 'soft');
      await receiver.waitFor(() => receiver.forPath(statusPath).length >= 2);
      await sleep(100);
      expect(receiver.forPath(statusPath).map((r) => r.params.MessageStatus)).toEqual(['sending', 'sent']);
      expect((await client.messages(msg.sid).fetch()).status).toBe('sent');
    });

    it('retries a callback answered with 5xx, then moves on', async () => {
      let failures = 0;
      receiver.respond = (r) =>
        r.path === '/status/retry' && r.params.MessageStatus === 'sent' && failures++ < 2 ? 503 : 200;
      try {
        const { to, statusPath } = await send('1001', 'retry');
        await receiver.waitFor(() =>
          receiver.forPath(statusPath).some((r) => r.params.MessageStatus === 'delivered'),
        );
        expect(receiver.forPath(statusPath).map((r) => r.params.MessageStatus)).toEqual([
          'sending',
          'sent',
          'sent',
          'sent',
          'delivered',
        ]);
        const [admin] = await adminCall(base, 'GET', `/__admin/messages?to=${encodeURIComponent(to)}`);
        expect(admin.callbacks.map((c: any) => c.http_status)).toEqual([200, 503, 503, 200, 200]);
      } finally {
        receiver.respond = () => 200;
      }
    });

    it('survives an unreachable callback URL (retries, then drops)', async () => {
      const to = phone('1002');
      const msg = await client.messages.create({
        to,
        from: sender,
        body: 'nobody listening',
        statusCallback: 'http://127.0.0.1:1/status',
      });
      const deadline = Date.now() + 8000;
      let admin: any;
      do {
        await sleep(100);
        [admin] = await adminCall(base, 'GET', `/__admin/messages?to=${encodeURIComponent(to)}`);
      } while (admin.callbacks.length < 12 && Date.now() < deadline);
      expect(admin.callbacks).toHaveLength(12); // 3 statuses x (1 try + 3 retries)
      expect(admin.callbacks.every((c: any) => c.http_status === 0 && c.error)).toBe(true);
      expect((await client.messages(msg.sid).fetch()).status).toBe('delivered');
      expect(await adminCall(base, 'GET', '/__admin/health')).toEqual({ ok: true });
    });

    it('sends no callback without StatusCallback, but the status still advances', async () => {
      const to = phone('1003');
      const msg = await client.messages.create({ to, from: sender, body: 'no callback' });
      await sleep(60);
      expect((await client.messages(msg.sid).fetch()).status).toBe('delivered');
    });
  });

  describe('inbound SMS', () => {
    it('posts Twilio’s signed inbound form to the number’s SmsUrl', async () => {
      const from = phone('2000');
      const result = await adminCall(base, 'POST', '/__admin/inbound', {
        from,
        to: sender,
        body: 'Hello agent',
      });
      expect(result.message_sid).toMatch(/^SM[0-9a-f]{32}$/);
      expect(result.deliveries).toHaveLength(1);
      expect(result.deliveries[0]).toMatchObject({ status: 200 });
      expect(result.deliveries[0].body).toContain('<Response/>');
      const got = receiver.forPath('/sms/inbound').filter((r) => r.params.MessageSid === result.message_sid);
      expect(got).toHaveLength(1);
      const r = got[0];
      expect(valid(r)).toBe(true);
      expect(r.params).toMatchObject({
        MessageSid: result.message_sid,
        SmsSid: result.message_sid,
        SmsMessageSid: result.message_sid,
        AccountSid: acct.sid,
        From: from,
        To: sender,
        Body: 'Hello agent',
        NumMedia: '0',
        NumSegments: '1',
        FromCountry: 'US',
        ToCountry: 'US',
        ApiVersion: '2010-04-01',
        SmsStatus: 'received',
      });
      expect(r.params.MessagingServiceSid).toBeUndefined();
    });

    it('a forged signature fails validation; duplicate delivers twice with the same MessageSid', async () => {
      const forged = await adminCall(base, 'POST', '/__admin/inbound', {
        from: phone('2001'),
        to: sender,
        body: 'forged',
        signature: 'forged',
      });
      const [f] = receiver.forPath('/sms/inbound').filter((r) => r.params.MessageSid === forged.message_sid);
      expect(f.headers['x-twilio-signature']).toBeDefined();
      expect(valid(f)).toBe(false);

      const sid = 'SM' + 'ab'.repeat(16);
      const dup = await adminCall(base, 'POST', '/__admin/inbound', {
        from: phone('2002'),
        to: sender,
        body: 'twice',
        message_sid: sid,
        duplicate: true,
      });
      expect(dup.message_sid).toBe(sid);
      expect(dup.deliveries).toHaveLength(2);
      const both = receiver.forPath('/sms/inbound').filter((r) => r.params.MessageSid === sid);
      expect(both).toHaveLength(2);
      expect(both.every(valid)).toBe(true);
    });

    it('uses SmsMethod GET with the parameters in the signed URL', async () => {
      const getNumber = phone('9001');
      await addNumber(base, acct.sid, {
        phone_number: getNumber,
        sms_url: `${receiver.url}/sms/get?tenant=7`,
        sms_method: 'GET',
      });
      const result = await adminCall(base, 'POST', '/__admin/inbound', {
        from: phone('2003'),
        to: getNumber,
        body: 'via GET',
      });
      const [r] = receiver.forPath('/sms/get').filter((x) => x.params.MessageSid === result.message_sid);
      expect(r.method).toBe('GET');
      expect(r.params.Body).toBe('via GET');
      expect(twilio.validateRequest(acct.token, String(r.headers['x-twilio-signature']), r.url, {})).toBe(
        true,
      );
    });

    it('reports 404 for a number the sandbox does not know', async () => {
      const res = await fetch(`${base}/__admin/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: phone('2004'), to: '+10000000000', body: 'x' }),
      });
      expect(res.status).toBe(404);
    });
  });
});
