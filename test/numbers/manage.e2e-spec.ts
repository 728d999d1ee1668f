import { createAccount, TestAccount } from '../factories/accounts';
import {
  createAgent,
  encodedPath,
  importedNumber,
  rawPath,
  sandboxFault,
  sandboxNumber,
  twilioAccount,
  twilioNumber,
  ukNumber,
} from '../factories/numbers';
import { http } from '../harness/api';
import { Stack } from '../harness/stack';

/** GET / PATCH / DELETE /v1/phone-numbers/:phoneNumber, listing, and agents with numbers. */
describe('numbers: per-number settings, listing and removal', () => {
  let stack: Stack;
  let acme: TestAccount;

  beforeAll(async () => {
    stack = await Stack.start();
    acme = await createAccount(stack, 'Acme Dental');
  });
  afterAll(() => stack?.stop());

  const expectError = (res: { status: number; body: any }, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  };

  describe(':phoneNumber in the path', () => {
    it('works as +447..., %2B447... and %2b447...', async () => {
      const { phone } = await importedNumber(stack, acme);
      for (const path of [rawPath(phone), encodedPath(phone), `/v1/phone-numbers/%2b${phone.slice(1)}`]) {
        const res = await acme.api.get(path);
        expect({ path, status: res.status, phone: res.body.phone_number }).toEqual({
          path,
          status: 200,
          phone,
        });
      }
      const patched = await acme.api.patch(rawPath(phone), { voice: 'alloy' });
      expect(patched.body.voice).toBe('alloy');
      expect((await acme.api.patch(encodedPath(phone), { voice: 'verse' })).body.voice).toBe('verse');
    });

    it('400 invalid_phone_format for a malformed number, 404 number_not_found for one not imported', async () => {
      expectError(await acme.api.get('/v1/phone-numbers/not-a-number'), 400, 'invalid_phone_format');
      expectError(await acme.api.get(rawPath(ukNumber())), 404, 'number_not_found');
      expectError(await acme.api.patch(encodedPath(ukNumber()), { voice: 'x' }), 404, 'number_not_found');
      expectError(await acme.api.delete(encodedPath(ukNumber())), 404, 'number_not_found');
    });
  });

  describe('PATCH: per-number settings', () => {
    it('custom_prompt: set, 8001 characters refused (unchanged), null and "" clear it', async () => {
      const { phone } = await importedNumber(stack, acme, { extra: { custom_prompt: 'Smile Dental' } });
      const set = await acme.api.patch(rawPath(phone), { custom_prompt: 'Pearly Whites Manchester' });
      expect(set.status).toBe(200);
      expect(set.body.custom_prompt).toBe('Pearly Whites Manchester');

      expectError(
        await acme.api.patch(rawPath(phone), { custom_prompt: 'y'.repeat(8001) }),
        400,
        'custom_prompt_too_long',
      );
      expect((await acme.api.get(rawPath(phone))).body.custom_prompt).toBe('Pearly Whites Manchester');
      expect(
        (await acme.api.patch(rawPath(phone), { custom_prompt: 'z'.repeat(8000) })).body.custom_prompt,
      ).toHaveLength(8000);

      expect((await acme.api.patch(rawPath(phone), { custom_prompt: null })).body.custom_prompt).toBeNull();
      await acme.api.patch(rawPath(phone), { custom_prompt: 'again' });
      expect((await acme.api.patch(rawPath(phone), { custom_prompt: '' })).body.custom_prompt).toBeNull();
      const [row] = await stack.sql(
        `SELECT custom_prompt FROM numbers.phone_numbers WHERE phone_number = $1`,
        [phone],
      );
      expect(row.custom_prompt).toBeNull();
    });

    it('voice, webhook_url and a Cal.com calendar; the calendar key is sealed and never returned', async () => {
      const { phone } = await importedNumber(stack, acme);
      const res = await acme.api.patch(rawPath(phone), {
        voice: 'shimmer',
        webhook_url: 'https://clinic.example.com/calls',
        calendar: { api_key: 'cal_live_secret_123', event_type_id: '98765' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        voice: 'shimmer',
        webhook_url: 'https://clinic.example.com/calls',
        calendar: { event_type_id: '98765' },
      });
      expect(JSON.stringify(res.body)).not.toContain('cal_live_secret_123');
      expect(JSON.stringify((await acme.api.get(rawPath(phone))).body)).not.toContain('cal_live_secret_123');
      const [row] = await stack.sql(`SELECT * FROM numbers.phone_numbers WHERE phone_number = $1`, [phone]);
      expect(row.calendar_api_key_sealed).toMatch(/^v1:/);
      expect(JSON.stringify(row)).not.toContain('cal_live_secret_123');

      // An empty body changes nothing; null clears each setting.
      expect((await acme.api.patch(rawPath(phone), {})).body).toMatchObject({ voice: 'shimmer' });
      const cleared = await acme.api.patch(rawPath(phone), {
        voice: null,
        webhook_url: null,
        calendar: null,
      });
      expect(cleared.body).toMatchObject({ voice: null, webhook_url: null, calendar: null });
    });

    it('settings can be given at import', async () => {
      const { res } = await importedNumber(stack, acme, {
        extra: {
          voice: 'echo',
          webhook_url: 'https://a.example.com/h',
          calendar: { api_key: 'k', event_type_id: '1' },
        },
      });
      expect(res.body).toMatchObject({
        voice: 'echo',
        webhook_url: 'https://a.example.com/h',
        calendar: { event_type_id: '1' },
      });
    });

    it('400 validation_failed for a bad webhook_url, a bad calendar, or a field that cannot change (agent_id)', async () => {
      const { phone, agent } = await importedNumber(stack, acme);
      expectError(await acme.api.patch(rawPath(phone), { webhook_url: 'ftp://x' }), 400, 'validation_failed');
      expectError(
        await acme.api.patch(rawPath(phone), { calendar: { event_type_id: '1' } }),
        400,
        'validation_failed',
      );
      const other = await createAgent(acme);
      expectError(await acme.api.patch(rawPath(phone), { agent_id: other.id }), 400, 'validation_failed');
      expectError(await acme.api.patch(rawPath(phone), { twilio_token: 'x' }), 400, 'validation_failed');
      expect((await acme.api.get(rawPath(phone))).body.agent_id).toBe(agent.id);
    });
  });

  describe('GET /v1/phone-numbers', () => {
    let account: TestAccount;
    const phones: string[] = [];
    let agentA: any;

    beforeAll(async () => {
      account = await createAccount(stack, 'Lister');
      const twilio = await twilioAccount(stack);
      agentA = await createAgent(account, { name: 'A' });
      const agentB = await createAgent(account, { name: 'B' });
      for (let i = 0; i < 7; i++) {
        const n = await importedNumber(stack, account, { twilio, agent: i % 2 === 0 ? agentA : agentB });
        phones.push(n.phone);
      }
    });

    it('lists newest first, with cursor pagination that neither skips nor repeats', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: any = await account.api.get(
          `/v1/phone-numbers?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(3);
        seen.push(...res.body.data.map((n: any) => n.phone_number));
        for (const n of res.body.data) expect(n).not.toHaveProperty('twilio_auth_token_sealed');
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual([...phones].reverse());
    });

    it('filters by agent_id', async () => {
      const res = await account.api.get(`/v1/phone-numbers?agent_id=${agentA.id}`);
      expect(res.body.data.map((n: any) => n.phone_number)).toEqual(
        phones.filter((_, i) => i % 2 === 0).reverse(),
      );
      expect((await account.api.get('/v1/phone-numbers?agent_id=agent_0000000000000000')).body).toEqual({
        data: [],
        next_cursor: null,
      });
    });

    it('400 invalid_cursor and validation_failed for bad paging', async () => {
      expectError(await account.api.get('/v1/phone-numbers?cursor=garbage'), 400, 'invalid_cursor');
      expectError(await account.api.get('/v1/phone-numbers?limit=0'), 400, 'validation_failed');
      expectError(await account.api.get('/v1/phone-numbers?color=red'), 400, 'validation_failed');
    });

    it('is served by an (account_id, created_at DESC, id DESC) index', async () => {
      const indexes = (
        await stack.sql(`SELECT indexdef FROM pg_indexes WHERE tablename = 'phone_numbers'`)
      ).map((r) => r.indexdef);
      expect(indexes.join('\n')).toContain('(account_id, created_at DESC, id DESC)');
    });
  });

  describe('DELETE', () => {
    const previous = {
      voice_url: 'https://pbx.example.com/voice',
      voice_method: 'GET',
      sms_url: 'https://crm.example.com/sms',
      sms_method: 'POST',
      status_callback: 'https://pbx.example.com/status',
      status_callback_method: 'GET',
    };

    async function imported() {
      const twilio = await twilioAccount(stack);
      const phone = ukNumber();
      await twilioNumber(stack, twilio, phone, previous);
      const agent = await createAgent(acme);
      const res = await acme.api.post('/v1/phone-numbers', {
        phone_number: phone,
        twilio_sid: twilio.account_sid,
        twilio_token: twilio.auth_token,
        agent_id: agent.id,
      });
      expect(res.status).toBe(201);
      return { twilio, phone, agent };
    }

    it("clears the number's Twilio webhooks and removes the row; the number stays in Twilio", async () => {
      const { phone } = await imported();
      const res = await acme.api.delete(rawPath(phone));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ phone_number: phone, deleted: true, webhooks: 'cleared' });
      expect(await sandboxNumber(stack, phone)).toMatchObject({
        voice_url: '',
        sms_url: '',
        status_callback: '',
      });
      expect(
        await stack.sql(`SELECT 1 FROM numbers.phone_numbers WHERE phone_number = $1`, [phone]),
      ).toHaveLength(0);
      expectError(await acme.api.get(rawPath(phone)), 404, 'number_not_found');
      expectError(await acme.api.delete(rawPath(phone)), 404, 'number_not_found');
    });

    it('?restore_webhooks=true puts back the URLs and methods the number had before import', async () => {
      const { phone } = await imported();
      expect((await sandboxNumber(stack, phone)).voice_url).toBe(`${stack.webhooksUrl}/twilio/voice`);
      const res = await acme.api.delete(`${encodedPath(phone)}?restore_webhooks=true`);
      expect(res.body).toEqual({ phone_number: phone, deleted: true, webhooks: 'restored' });
      expect(await sandboxNumber(stack, phone)).toMatchObject(previous);
    });

    it('?restore_webhooks=false clears; any other value is 400', async () => {
      const { phone } = await imported();
      expectError(
        await acme.api.delete(`${rawPath(phone)}?restore_webhooks=maybe`),
        400,
        'validation_failed',
      );
      expect((await acme.api.delete(`${rawPath(phone)}?restore_webhooks=false`)).body.webhooks).toBe(
        'cleared',
      );
    });

    it('502 twilio_unavailable keeps the row so the delete can be repeated', async () => {
      const { phone } = await imported();
      await sandboxFault(stack, { status: 500, count: 1, path_contains: 'IncomingPhoneNumbers/PN' });
      expectError(await acme.api.delete(rawPath(phone)), 502, 'twilio_unavailable');
      expect((await acme.api.get(rawPath(phone))).status).toBe(200);
      expect((await acme.api.delete(rawPath(phone))).body.webhooks).toBe('cleared');
    });

    it('removes the row even when Twilio no longer accepts the stored credentials, and says so', async () => {
      const { phone, twilio } = await imported();
      const rotated = await http('POST', `${stack.sandboxUrl}/__admin/accounts/${twilio.account_sid}`, {
        body: { auth_token: 'rotated-token-0000' },
      });
      expect(rotated.status).toBe(200);
      const res = await acme.api.delete(rawPath(phone));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ deleted: true, webhooks: 'unchanged' });
      expect(res.body.webhooks_note).toMatch(/^twilio_auth_failed/);
      expectError(await acme.api.get(rawPath(phone)), 404, 'number_not_found');
    });

    it('a number moves to another agent by delete and re-import', async () => {
      const { phone, twilio, agent } = await imported();
      const other = await createAgent(acme);
      const body = { phone_number: phone, twilio_sid: twilio.account_sid, twilio_token: twilio.auth_token };
      expectError(
        await acme.api.post('/v1/phone-numbers', { ...body, agent_id: other.id }),
        409,
        'number_already_imported',
      );
      await acme.api.delete(rawPath(phone));
      const moved = await acme.api.post('/v1/phone-numbers', { ...body, agent_id: other.id });
      expect(moved.status).toBe(201);
      expect(moved.body.agent_id).toBe(other.id);
      expect((await acme.api.get(`/v1/phone-numbers?agent_id=${agent.id}`)).body.data).toEqual([]);
    });
  });

  describe('agents with numbers', () => {
    it('DELETE /v1/agents/:id is 409 agent_has_numbers while numbers are attached, 200 after', async () => {
      const { phone, agent } = await importedNumber(stack, acme);
      expectError(await acme.api.delete(`/v1/agents/${agent.id}`), 409, 'agent_has_numbers');
      expect((await acme.api.get(`/v1/agents/${agent.id}`)).status).toBe(200);
      await acme.api.delete(rawPath(phone));
      expect((await acme.api.delete(`/v1/agents/${agent.id}`)).status).toBe(200);
      expectError(await acme.api.get(`/v1/agents/${agent.id}`), 404, 'agent_not_found');
    });
  });
});
