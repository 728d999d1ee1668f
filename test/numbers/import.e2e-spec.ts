import * as fs from 'node:fs';
import { createAccount, TestAccount } from '../factories/accounts';
import {
  createAgent,
  importFixture,
  importedNumber,
  sandboxFault,
  sandboxNumber,
  sandboxRequests,
  twilioAccount,
  twilioNumber,
  ukNumber,
} from '../factories/numbers';
import { Stack } from '../harness/stack';

/** POST /v1/phone-numbers: the spec's five steps, their order, their codes, and what Twilio sees. */
describe('numbers: import', () => {
  let stack: Stack;
  let acme: TestAccount;
  let globex: TestAccount;
  const tokens: string[] = [];

  beforeAll(async () => {
    stack = await Stack.start();
    acme = await createAccount(stack, 'Acme Dental');
    globex = await createAccount(stack, 'Globex');
  });
  afterAll(() => stack?.stop());

  const rows = (phone: string) =>
    stack.sql(`SELECT * FROM numbers.phone_numbers WHERE phone_number = $1`, [phone]);
  const expectError = (res: { status: number; body: any }, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  };

  it('imports a number: 201 with the resource, Twilio rewired to the webhooks service, token sealed', async () => {
    const twilio = await twilioAccount(stack);
    tokens.push(twilio.auth_token);
    const phone = ukNumber();
    await twilioNumber(stack, twilio, phone, {
      voice_url: 'https://old.example.com/voice',
      voice_method: 'GET',
      sms_url: 'https://old.example.com/sms',
      status_callback: 'https://old.example.com/status',
    });
    const agent = await createAgent(acme);
    const res = await acme.api.post('/v1/phone-numbers', {
      phone_number: phone,
      twilio_sid: twilio.account_sid,
      twilio_token: twilio.auth_token,
      agent_id: agent.id,
      custom_prompt: 'Smile Dental Croydon, open 9-5.',
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^pn_[0-9a-f]{16}$/),
      phone_number: phone,
      agent_id: agent.id,
      api_key_id: acme.key_id,
      twilio_account_sid: twilio.account_sid,
      twilio_number_sid: expect.stringMatching(/^PN[0-9a-f]{32}$/),
      custom_prompt: 'Smile Dental Croydon, open 9-5.',
      voice: null,
      webhook_url: null,
      calendar: null,
      welcome_greeting: null,
      post_call_sms_template: null,
      sms_rate_per_second: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toContain(twilio.auth_token);

    const n = await sandboxNumber(stack, phone);
    expect(n).toMatchObject({
      voice_url: `${stack.webhooksUrl}/twilio/voice`,
      voice_method: 'POST',
      sms_url: `${stack.webhooksUrl}/twilio/sms`,
      sms_method: 'POST',
      status_callback: `${stack.webhooksUrl}/twilio/voice-status`,
      status_callback_method: 'POST',
    });

    const [row] = await rows(phone);
    expect(row).toMatchObject({
      status: 'active',
      account_id: acme.account_id,
      api_key_id: acme.key_id,
      agent_id: agent.id,
      twilio_number_sid: n.sid,
      previous_webhooks: {
        voice_url: 'https://old.example.com/voice',
        voice_method: 'GET',
        sms_url: 'https://old.example.com/sms',
        sms_method: 'POST',
        status_callback: 'https://old.example.com/status',
        status_callback_method: 'POST',
      },
    });
    expect(row.twilio_auth_token_sealed).toMatch(/^v1:dev:/);
    expect(JSON.stringify(row)).not.toContain(twilio.auth_token);
  });

  describe('step 1: formats', () => {
    it.each([
      ['no plus', '447446466847'],
      ['spaces', '+44 7446 466847'],
      ['too short', '+4474'],
      ['letters', '+44abc466847'],
      ['a number, not a string', 447446466847],
      ['missing', undefined],
    ])('400 invalid_phone_format for %s', async (_label, phone) => {
      const f = await importFixture(stack, acme);
      const res = await acme.api.post('/v1/phone-numbers', { ...f.body, phone_number: phone });
      expectError(res, 400, 'invalid_phone_format');
    });

    it.each([
      ['short', 'AC123'],
      ['number SID', `PN${'a'.repeat(32)}`],
      ['non-hex', `AC${'z'.repeat(32)}`],
      ['missing', undefined],
    ])('400 invalid_twilio_sid for %s', async (_label, sid) => {
      const f = await importFixture(stack, acme);
      const res = await acme.api.post('/v1/phone-numbers', { ...f.body, twilio_sid: sid });
      expectError(res, 400, 'invalid_twilio_sid');
    });

    it('reports a bad phone before a bad SID, and both before anything reaches Twilio', async () => {
      const before = (await sandboxRequests(stack, 'IncomingPhoneNumbers')).length;
      const res = await acme.api.post('/v1/phone-numbers', {
        phone_number: '0207 946 0000',
        twilio_sid: 'ACnope',
        twilio_token: 'x',
        agent_id: 'agent_0000000000000000',
      });
      expectError(res, 400, 'invalid_phone_format');
      expect((await sandboxRequests(stack, 'IncomingPhoneNumbers')).length).toBe(before);
    });

    it('400 validation_failed without a token, or with fields it does not know', async () => {
      const f = await importFixture(stack, acme);
      expectError(
        await acme.api.post('/v1/phone-numbers', { ...f.body, twilio_token: undefined }),
        400,
        'validation_failed',
      );
      expectError(
        await acme.api.post('/v1/phone-numbers', { ...f.body, status: 'active' }),
        400,
        'validation_failed',
      );
    });

    it('custom_prompt: 8000 characters are fine, 8001 is 400 custom_prompt_too_long (before Twilio is asked)', async () => {
      const ok = await importFixture(stack, acme, { extra: { custom_prompt: 'x'.repeat(8000) } });
      expect((await acme.api.post('/v1/phone-numbers', ok.body)).status).toBe(201);

      const long = await importFixture(stack, acme, { extra: { custom_prompt: 'x'.repeat(8001) } });
      const res = await acme.api.post('/v1/phone-numbers', { ...long.body, twilio_token: 'wrong' });
      expectError(res, 400, 'custom_prompt_too_long');
      expect(await rows(long.phone)).toHaveLength(0);
    });
  });

  describe('step 2: the number in the caller Twilio account', () => {
    it('400 twilio_auth_failed for a wrong token, and it comes before an unknown agent', async () => {
      const f = await importFixture(stack, acme);
      const wrong = await acme.api.post('/v1/phone-numbers', { ...f.body, twilio_token: 'not-the-token' });
      expectError(wrong, 400, 'twilio_auth_failed');
      const both = await acme.api.post('/v1/phone-numbers', {
        ...f.body,
        twilio_token: 'not-the-token',
        agent_id: 'agent_0000000000000000',
      });
      expectError(both, 400, 'twilio_auth_failed');
      expect(JSON.stringify(both.body)).not.toContain('not-the-token');
      expect(await rows(f.phone)).toHaveLength(0);
    });

    it('400 twilio_auth_failed for an unknown (well-formed) Account SID', async () => {
      const f = await importFixture(stack, acme);
      const res = await acme.api.post('/v1/phone-numbers', { ...f.body, twilio_sid: `AC${'0'.repeat(32)}` });
      expectError(res, 400, 'twilio_auth_failed');
    });

    it('404 twilio_number_not_found when the number belongs to another Twilio account; before an unknown agent', async () => {
      const mine = await twilioAccount(stack);
      const theirs = await twilioAccount(stack);
      const phone = ukNumber();
      await twilioNumber(stack, theirs, phone);
      const agent = await createAgent(acme);
      const body = { phone_number: phone, twilio_sid: mine.account_sid, twilio_token: mine.auth_token };
      expectError(
        await acme.api.post('/v1/phone-numbers', { ...body, agent_id: agent.id }),
        404,
        'twilio_number_not_found',
      );
      expectError(
        await acme.api.post('/v1/phone-numbers', { ...body, agent_id: 'agent_0000000000000000' }),
        404,
        'twilio_number_not_found',
      );
      expect((await sandboxNumber(stack, phone)).voice_url).toBe('');
    });

    it('prefix trap: Twilio partial matches of the number do not count', async () => {
      const twilio = await twilioAccount(stack);
      // The sandbox (like Twilio) returns both for PhoneNumber=+447446466847.
      await twilioNumber(stack, twilio, '+4474464668470');
      await twilioNumber(stack, twilio, '+14474464668471');
      const agent = await createAgent(acme);
      const listed = await fetch(
        `${stack.sandboxUrl}/2010-04-01/Accounts/${twilio.account_sid}/IncomingPhoneNumbers.json?PhoneNumber=%2B447446466847`,
        {
          headers: {
            authorization: `Basic ${Buffer.from(`${twilio.account_sid}:${twilio.auth_token}`).toString('base64')}`,
          },
        },
      ).then((r) => r.json() as Promise<any>);
      expect(listed.incoming_phone_numbers).toHaveLength(2);

      const res = await acme.api.post('/v1/phone-numbers', {
        phone_number: '+447446466847',
        twilio_sid: twilio.account_sid,
        twilio_token: twilio.auth_token,
        agent_id: agent.id,
      });
      expectError(res, 404, 'twilio_number_not_found');
      for (const other of ['+4474464668470', '+14474464668471']) {
        expect((await sandboxNumber(stack, other)).voice_url).toBe('');
      }

      // Once the exact number exists it imports, and only it is rewired.
      await twilioNumber(stack, twilio, '+447446466847');
      const ok = await acme.api.post('/v1/phone-numbers', {
        phone_number: '+447446466847',
        twilio_sid: twilio.account_sid,
        twilio_token: twilio.auth_token,
        agent_id: agent.id,
      });
      expect(ok.status).toBe(201);
      expect((await sandboxNumber(stack, '+447446466847')).voice_url).toBe(
        `${stack.webhooksUrl}/twilio/voice`,
      );
      expect((await sandboxNumber(stack, '+4474464668470')).voice_url).toBe('');
    });
  });

  describe('step 3: the agent', () => {
    it('404 agent_not_found for an unknown agent', async () => {
      const f = await importFixture(stack, acme);
      expectError(
        await acme.api.post('/v1/phone-numbers', { ...f.body, agent_id: 'agent_0000000000000000' }),
        404,
        'agent_not_found',
      );
      expect((await sandboxNumber(stack, f.phone)).voice_url).toBe('');
    });

    it("403 agent_not_owned for another account's agent; nothing stored or rewired", async () => {
      const theirs = await createAgent(globex);
      const f = await importFixture(stack, acme);
      expectError(
        await acme.api.post('/v1/phone-numbers', { ...f.body, agent_id: theirs.id }),
        403,
        'agent_not_owned',
      );
      expect(await rows(f.phone)).toHaveLength(0);
      expect((await sandboxNumber(stack, f.phone)).voice_url).toBe('');
    });
  });

  describe('step 5: one number, one agent', () => {
    it('409 number_already_imported for a second import, by this or another account; errors of earlier steps win', async () => {
      const f = await importedNumber(stack, acme);
      const again = await acme.api.post('/v1/phone-numbers', {
        ...f.body,
        agent_id: (await createAgent(acme)).id,
      });
      expectError(again, 409, 'number_already_imported');
      const other = await globex.api.post('/v1/phone-numbers', {
        ...f.body,
        agent_id: (await createAgent(globex)).id,
      });
      expectError(other, 409, 'number_already_imported');

      expectError(
        await acme.api.post('/v1/phone-numbers', { ...f.body, twilio_token: 'bad' }),
        400,
        'twilio_auth_failed',
      );
      expectError(
        await acme.api.post('/v1/phone-numbers', { ...f.body, agent_id: 'agent_0000000000000000' }),
        404,
        'agent_not_found',
      );
      const [row] = await rows(f.phone);
      expect(row.agent_id).toBe(f.agent.id);
      expect(row.account_id).toBe(acme.account_id);
    });

    it('race: parallel imports of one number give exactly one 201, the rest 409, one row, one rewire', async () => {
      const f = await importFixture(stack, acme);
      const agents = await Promise.all([
        createAgent(acme),
        createAgent(acme),
        createAgent(globex),
        createAgent(globex),
      ]);
      const attempts = [
        ...[0, 1, 2, 3].map(() => acme.api.post('/v1/phone-numbers', f.body)),
        acme.api.post('/v1/phone-numbers', { ...f.body, agent_id: agents[0].id }),
        acme.api.post('/v1/phone-numbers', { ...f.body, agent_id: agents[1].id }),
        globex.api.post('/v1/phone-numbers', { ...f.body, agent_id: agents[2].id }),
        globex.api.post('/v1/phone-numbers', { ...f.body, agent_id: agents[3].id }),
      ];
      const results = await Promise.all(attempts);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      for (const r of results.filter((x) => x.status === 409))
        expect(r.body.error.code).toBe('number_already_imported');
      expect(await rows(f.phone)).toHaveLength(1);
      const n = await sandboxNumber(stack, f.phone);
      const rewires = (await sandboxRequests(stack, n.sid)).filter((r) => r.method === 'POST');
      expect(rewires).toHaveLength(1);
      expect(n.voice_url).toBe(`${stack.webhooksUrl}/twilio/voice`);
    });
  });

  describe('Twilio unavailable: 502 twilio_unavailable, nothing stored, nothing rewired', () => {
    const previous = { voice_url: 'https://pbx.example.com/in', sms_url: 'https://crm.example.com/sms' };

    it.each([
      ['500 on the lookup', { status: 500, count: 1, path_contains: 'IncomingPhoneNumbers.json' }],
      ['503 on the rewire', { status: 503, count: 1, path_contains: 'IncomingPhoneNumbers/PN' }],
      ['429 on the lookup', { status: 429, count: 1 }],
    ])('%s', async (_label, fault) => {
      const twilio = await twilioAccount(stack);
      const phone = ukNumber();
      await twilioNumber(stack, twilio, phone, previous);
      const agent = await createAgent(acme);
      await sandboxFault(stack, fault);
      const res = await acme.api.post('/v1/phone-numbers', {
        phone_number: phone,
        twilio_sid: twilio.account_sid,
        twilio_token: twilio.auth_token,
        agent_id: agent.id,
      });
      await sandboxFault(stack, null);
      expectError(res, 502, 'twilio_unavailable');
      expect(await rows(phone)).toHaveLength(0);
      expect(await sandboxNumber(stack, phone)).toMatchObject(previous);
      // And the same import succeeds once Twilio is back.
      expect(
        (
          await acme.api.post('/v1/phone-numbers', {
            phone_number: phone,
            twilio_sid: twilio.account_sid,
            twilio_token: twilio.auth_token,
            agent_id: agent.id,
          })
        ).status,
      ).toBe(201);
    });
  });

  it('numbers from several Twilio accounts and a subaccount, each with its own credentials', async () => {
    const uk = await twilioAccount(stack);
    const us = await twilioAccount(stack);
    const sub = await twilioAccount(stack, uk);
    tokens.push(uk.auth_token, us.auth_token, sub.auth_token);
    const agent = await createAgent(acme);
    const imported = [
      await importedNumber(stack, acme, { twilio: uk, agent }),
      await importedNumber(stack, acme, {
        twilio: us,
        agent,
        phone: `+1415555${String(Date.now() % 10000).padStart(4, '0')}`,
      }),
      await importedNumber(stack, acme, { twilio: sub, agent }),
    ];
    for (const [i, t] of [uk, us, sub].entries()) {
      const { phone } = imported[i];
      expect(imported[i].res.body.twilio_account_sid).toBe(t.account_sid);
      const n = await sandboxNumber(stack, phone);
      expect(n.account_sid).toBe(t.account_sid);
      expect(n.sms_url).toBe(`${stack.webhooksUrl}/twilio/sms`);
      // Every Twilio request for the number was authenticated as its own account.
      const reqs = await sandboxRequests(stack, n.sid);
      expect(reqs.length).toBeGreaterThan(0);
      expect(new Set(reqs.map((r) => r.account_sid))).toEqual(new Set([t.account_sid]));
    }
    // A subaccount's number is not found with the parent's SID on the parent's own number list.
    const subPhone = ukNumber();
    await twilioNumber(stack, sub, subPhone);
    const viaParent = await acme.api.post('/v1/phone-numbers', {
      phone_number: subPhone,
      twilio_sid: uk.account_sid,
      twilio_token: uk.auth_token,
      agent_id: agent.id,
    });
    expectError(viaParent, 404, 'twilio_number_not_found');
  });

  it('502 twilio_unavailable when Twilio cannot be reached at all (sandbox down)', async () => {
    const f = await importFixture(stack, acme);
    await stack.kill('sandbox');
    const res = await acme.api.post('/v1/phone-numbers', f.body);
    expectError(res, 502, 'twilio_unavailable');
    expect(await rows(f.phone)).toHaveLength(0);
  });

  it('never writes a Twilio auth token to the logs', () => {
    const log = fs.readFileSync(stack.logFile, 'utf8');
    expect(tokens.length).toBeGreaterThan(0);
    for (const t of tokens) expect(log).not.toContain(t);
  });
});
