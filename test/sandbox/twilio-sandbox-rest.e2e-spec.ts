import twilio from 'twilio';
import { createTwilioClient } from '../../libs/common/src/twilio/twilio-client';
import { startSandbox, type SandboxHandle } from '../../tools/twilio-sandbox/src/server';
import {
  addNumber,
  adminCall,
  createAccount,
  expectSchema,
  phone,
  twilioRaw,
  type TestAccount,
} from './helpers';

/** The sandbox's REST API through the real twilio SDK, and its responses against Twilio's OpenAPI schemas. */

describe('twilio-sandbox REST API', () => {
  let sandbox: SandboxHandle;
  let base: string;
  let acct: TestAccount;
  let other: TestAccount;
  let client: twilio.Twilio;
  let sender: string;
  const ukA = '+447446466847';
  const ukB = '+447446466848';

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    base = sandbox.url;
    acct = await createAccount(base, { friendly_name: 'Customer A' });
    other = await createAccount(base);
    sender = phone('9999');
    await addNumber(base, acct.sid, { phone_number: ukA });
    await addNumber(base, acct.sid, { phone_number: ukB });
    await addNumber(base, acct.sid, { phone_number: sender, sms_url: 'http://example.test/sms' });
    await addNumber(base, other.sid, { phone_number: '+447446466849' });
    client = createTwilioClient(acct.sid, acct.token, base);
  });

  afterAll(() => sandbox.close());

  describe('accounts and auth', () => {
    it('fetches the account through the SDK; the JSON matches the schema', async () => {
      const a = await client.api.v2010.accounts(acct.sid).fetch();
      expect(a.sid).toBe(acct.sid);
      expect(a.friendlyName).toBe('Customer A');
      expect(a.status).toBe('active');
      const raw = await twilioRaw(base, acct, 'GET', `/2010-04-01/Accounts/${acct.sid}.json`);
      expect(raw.status).toBe(200);
      expectSchema('account', raw.json);
      expect(raw.json.uri).toBe(`/2010-04-01/Accounts/${acct.sid}.json`);
    });

    it('rejects wrong credentials with 401 / 20003 (SDK RestException)', async () => {
      const bad = createTwilioClient(acct.sid, 'not-the-token', base);
      const err = await bad.api.v2010
        .accounts(acct.sid)
        .fetch()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(twilio.RestException);
      expect(err).toMatchObject({ status: 401, code: 20003 });
    });

    it('answers 401 with the exact Twilio error JSON for missing auth and for another account path', async () => {
      const res = await fetch(`${base}/2010-04-01/Accounts/${acct.sid}.json`);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        code: 20003,
        message: 'Authenticate',
        more_info: 'https://www.twilio.com/docs/errors/20003',
        status: 401,
      });
      const cross = await twilioRaw(base, other, 'GET', `/2010-04-01/Accounts/${acct.sid}/Messages.json`);
      expect(cross.status).toBe(401);
      expect(cross.json.code).toBe(20003);
    });

    it('answers 404 / 20404 for unknown resources', async () => {
      const missing = 'PN' + '0'.repeat(32);
      await expect(client.incomingPhoneNumbers(missing).fetch()).rejects.toMatchObject({
        status: 404,
        code: 20404,
      });
      const raw = await twilioRaw(base, acct, 'GET', `/2010-04-01/Accounts/${acct.sid}/Nope.json`);
      expect(raw.status).toBe(404);
      expect(raw.json).toMatchObject({
        code: 20404,
        status: 404,
        more_info: 'https://www.twilio.com/docs/errors/20404',
      });
    });

    it('subaccounts have their own credentials; the parent may reach them, not vice versa', async () => {
      const sub = await createAccount(base, { parent_account_sid: acct.sid });
      const subClient = createTwilioClient(sub.sid, sub.token, base);
      const fetched = await subClient.api.v2010.accounts(sub.sid).fetch();
      expect(fetched.ownerAccountSid).toBe(acct.sid);
      await expect(client.api.v2010.accounts(sub.sid).fetch()).resolves.toMatchObject({ sid: sub.sid });
      await expect(subClient.api.v2010.accounts(acct.sid).fetch()).rejects.toMatchObject({ status: 401 });
    });
  });

  describe('IncomingPhoneNumbers', () => {
    it('matches partial numbers like Twilio; strict equality is the caller’s job', async () => {
      const partial = await client.incomingPhoneNumbers.list({ phoneNumber: '+4474464668' });
      expect(partial.map((n) => n.phoneNumber).sort()).toEqual([ukA, ukB]);
      const exact = await client.incomingPhoneNumbers.list({ phoneNumber: ukA });
      expect(exact.map((n) => n.phoneNumber)).toEqual([ukA]);
      const wildcard = await client.incomingPhoneNumbers.list({ phoneNumber: '+4474464668*' });
      expect(wildcard.map((n) => n.phoneNumber).sort()).toEqual([ukA, ukB]);
      const none = await client.incomingPhoneNumbers.list({ phoneNumber: '+30000000000000' });
      expect(none.map((n) => n.phoneNumber)).toEqual([]);
    });

    it('list JSON matches the list schema and pages with next_page_uri', async () => {
      const raw = await twilioRaw(
        base,
        acct,
        'GET',
        `/2010-04-01/Accounts/${acct.sid}/IncomingPhoneNumbers.json?PhoneNumber=%2B4474464668&PageSize=1`,
      );
      expect(raw.status).toBe(200);
      expectSchema('numberList', raw.json);
      expect(raw.json).toMatchObject({ page: 0, page_size: 1, start: 0, end: 0, previous_page_uri: null });
      expect(raw.json.incoming_phone_numbers).toHaveLength(1);
      expect(raw.json.next_page_uri).toContain('Page=1');
      expect(raw.json.next_page_uri).toContain('PhoneNumber=%2B4474464668');
      // The SDK follows next_page_uri across pages (rewritten to the sandbox).
      const all = await client.incomingPhoneNumbers.list({ pageSize: 1 });
      expect(all.map((n) => n.phoneNumber).sort()).toEqual([sender, ukA, ukB].sort());
    });

    it('updates webhook URLs and clears them with the empty string', async () => {
      const [num] = await client.incomingPhoneNumbers.list({ phoneNumber: ukA });
      const updated = await client.incomingPhoneNumbers(num.sid).update({
        smsUrl: 'https://hooks.example.com/sms',
        smsMethod: 'POST',
        voiceUrl: 'https://hooks.example.com/voice',
        voiceMethod: 'GET',
        statusCallback: 'https://hooks.example.com/status',
        statusCallbackMethod: 'POST',
      });
      expect(updated).toMatchObject({
        smsUrl: 'https://hooks.example.com/sms',
        voiceUrl: 'https://hooks.example.com/voice',
        voiceMethod: 'GET',
        statusCallback: 'https://hooks.example.com/status',
      });
      const admin = await adminCall(base, 'GET', `/__admin/numbers/${encodeURIComponent(ukA)}`);
      expect(admin).toMatchObject({ sms_url: 'https://hooks.example.com/sms', account_sid: acct.sid });
      expect(admin.account.account_sid).toBe(acct.sid);

      const cleared = await client
        .incomingPhoneNumbers(num.sid)
        .update({ smsUrl: '', voiceUrl: '', statusCallback: '' });
      expect(cleared.smsUrl).toBe('');
      expect(cleared.voiceUrl).toBe('');
      expect(cleared.statusCallback).toBe('');
      const raw = await twilioRaw(
        base,
        acct,
        'GET',
        `/2010-04-01/Accounts/${acct.sid}/IncomingPhoneNumbers/${num.sid}.json`,
      );
      expectSchema('number', raw.json);
      expect(raw.json.sms_url).toBe('');
    });

    it('rejects an invalid webhook URL', async () => {
      const [num] = await client.incomingPhoneNumbers.list({ phoneNumber: ukB });
      await expect(
        client.incomingPhoneNumbers(num.sid).update({ smsUrl: 'not a url' }),
      ).rejects.toMatchObject({
        status: 400,
      });
    });

    it('does not show another account’s numbers', async () => {
      const raw = await twilioRaw(
        base,
        other,
        'GET',
        `/2010-04-01/Accounts/${other.sid}/IncomingPhoneNumbers.json`,
      );
      expect(raw.json.incoming_phone_numbers.map((n: any) => n.phone_number)).toEqual(['+447446466849']);
    });
  });

  describe('Messages', () => {
    it('creates (201 queued), fetches and lists through the SDK', async () => {
      const to = phone('1234');
      const created = await client.messages.create({ to, from: sender, body: 'hello there' });
      expect(created.status).toBe('queued');
      expect(created.sid).toMatch(/^SM[0-9a-f]{32}$/);
      expect(created.numSegments).toBe('1');
      expect(created.direction).toBe('outbound-api');
      const fetched = await client.messages(created.sid).fetch();
      expect(fetched.body).toBe('hello there');
      const listed = await client.messages.list({ to, from: sender });
      expect(listed.map((m) => m.sid)).toEqual([created.sid]);
      const recent = await client.messages.list({ to, dateSentAfter: new Date(Date.now() - 60_000) });
      expect(recent.map((m) => m.sid)).toEqual([created.sid]);
      const old = await client.messages.list({ to, dateSentBefore: new Date(Date.now() - 86_400_000) });
      expect(old).toEqual([]);
      const today = new Date().toISOString().slice(0, 10);
      const byDay = await twilioRaw(
        base,
        acct,
        'GET',
        `/2010-04-01/Accounts/${acct.sid}/Messages.json?To=${encodeURIComponent(to)}&DateSent=${today}`,
      );
      expect(byDay.json.messages).toHaveLength(1);
    });

    it('create/fetch/list JSON matches the schemas', async () => {
      const to = phone('2345');
      const created = await twilioRaw(base, acct, 'POST', `/2010-04-01/Accounts/${acct.sid}/Messages.json`, {
        To: to,
        From: sender,
        Body: 'schema check',
        StatusCallback: 'http://127.0.0.1:1/status',
        ValidityPeriod: '600',
      });
      expect(created.status).toBe(201);
      expectSchema('message', created.json);
      expect(created.json).toMatchObject({
        status: 'queued',
        error_code: null,
        num_media: '0',
        to,
        from: sender,
      });
      const fetched = await twilioRaw(base, acct, 'GET', created.json.uri);
      expect(fetched.status).toBe(200);
      expectSchema('message', fetched.json);
      const list = await twilioRaw(
        base,
        acct,
        'GET',
        `/2010-04-01/Accounts/${acct.sid}/Messages.json?PageSize=2`,
      );
      expectSchema('messageList', list.json);
      expect(list.json.messages.length).toBeGreaterThan(0);
    });

    it('counts segments (GSM-7 160/153, UCS-2 70/67)', async () => {
      const cases: [string, string][] = [
        ['a'.repeat(160), '1'],
        ['a'.repeat(161), '2'],
        ['a'.repeat(306), '2'],
        ['a'.repeat(307), '3'],
        ['é'.repeat(160), '1'], // é is in the GSM-7 basic set
        ['ł'.repeat(70), '1'],
        ['ł'.repeat(71), '2'],
        ['👍'.repeat(35), '1'], // 70 UTF-16 code units
        ['{'.repeat(80), '1'], // extension characters take two septets
        ['{'.repeat(81), '2'],
      ];
      for (const [body, segments] of cases) {
        const m = await client.messages.create({ to: phone('3456'), from: sender, body });
        expect([body.slice(0, 3), m.numSegments]).toEqual([body.slice(0, 3), segments]);
      }
    });

    it('validates From, To, Body and ValidityPeriod with Twilio error codes', async () => {
      const to = phone('4567');
      const cases: [Record<string, unknown>, number][] = [
        [{ to, from: '+447446466849', body: 'x' }, 21606], // other account's number
        [{ to: 'not-a-number', from: sender, body: 'x' }, 21211],
        [{ to, from: sender, body: '' }, 21602],
        [{ to, from: sender, body: 'x'.repeat(1601) }, 21617],
        [{ to, from: sender, body: 'x', validityPeriod: 0 }, 21624],
        [{ to, from: sender, body: 'x', validityPeriod: 36001 }, 21624],
      ];
      for (const [params, code] of cases) {
        const err = await client.messages.create(params as any).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(twilio.RestException);
        expect([code, (err as any).status]).toEqual([(err as any).code, 400]);
      }
      await expect(
        client.messages.create({ to, from: sender, body: 'x'.repeat(1600) }),
      ).resolves.toBeDefined();
    });

    it.each([
      ['1610', 21610],
      ['1211', 21211],
      ['1611', 21611],
    ])('refuses recipients ending in %s with %i and stores nothing', async (last4, code) => {
      const to = phone(last4);
      const err = await client.messages.create({ to, from: sender, body: 'hi' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(twilio.RestException);
      expect(err).toMatchObject({ status: 400, code });
      if (code === 21610) expect((err as Error).message).toBe('Attempt to send to unsubscribed recipient');
      expect(await client.messages.list({ to })).toEqual([]);
      expect(await adminCall(base, 'GET', `/__admin/messages?to=${encodeURIComponent(to)}`)).toEqual([]);
    });

    it('admin messages show exactly what the REST API received', async () => {
      const to = phone('5678');
      const body = `unique body ${Date.now()}`;
      const m = await client.messages.create({ to, from: sender, body });
      const list = await adminCall(
        base,
        'GET',
        `/__admin/messages?account_sid=${acct.sid}&to=${encodeURIComponent(to)}&from=${encodeURIComponent(sender)}`,
      );
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ sid: m.sid, account_sid: acct.sid, to, from: sender, body });
      expect(Array.isArray(list[0].callbacks)).toBe(true);
    });

    it('logs REST requests without credentials', async () => {
      const to = phone('6789');
      await client.messages.create({ to, from: sender, body: 'logged' });
      const log = await adminCall(base, 'GET', '/__admin/requests?path_contains=Messages.json&method=POST');
      const entry = log.find((e: any) => e.params.To === to);
      expect(entry).toMatchObject({ method: 'POST', status: 201, account_sid: acct.sid });
      expect(entry.params).toMatchObject({ To: to, From: sender, Body: 'logged' });
      expect(JSON.stringify(log)).not.toContain(acct.token);
    });
  });
});
