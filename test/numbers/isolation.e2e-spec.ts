import { createAccount, TestAccount } from '../factories/accounts';
import {
  createAgent,
  encodedPath,
  importedNumber,
  rawPath,
  sandboxNumber,
  ukNumber,
} from '../factories/numbers';
import { Stack } from '../harness/stack';

/**
 * Account scope: another account's key sees none of acme's agents or numbers
 * (404, or 403 agent_not_owned on import) and changes nothing.
 */
describe('numbers: cross-account isolation', () => {
  let stack: Stack;
  let acme: TestAccount;
  let globex: TestAccount;
  let agent: any;
  let phone: string;
  let twilio: { account_sid: string; auth_token: string };

  const snapshot = async () => ({
    numbers: await stack.sql(`SELECT * FROM numbers.phone_numbers ORDER BY id`),
    agents: await stack.sql(`SELECT * FROM numbers.agents ORDER BY id`),
    twilio: await sandboxNumber(stack, phone),
  });
  const expectError = (res: { status: number; body: any }, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  };
  let before: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    stack = await Stack.start();
    acme = await createAccount(stack, 'Acme Dental');
    globex = await createAccount(stack, 'Globex');
    agent = await createAgent(acme, { voice: 'alloy' });
    const n = await importedNumber(stack, acme, { agent, extra: { custom_prompt: 'Acme only' } });
    phone = n.phone;
    twilio = n.twilio;
    before = await snapshot();
  });
  afterAll(() => stack?.stop());

  afterEach(async () => {
    expect(await snapshot()).toEqual(before);
  });

  describe('phone numbers', () => {
    it('GET /v1/phone-numbers/:phoneNumber is 404 number_not_found (both path forms)', async () => {
      expectError(await globex.api.get(rawPath(phone)), 404, 'number_not_found');
      expectError(await globex.api.get(encodedPath(phone)), 404, 'number_not_found');
    });

    it('GET /v1/phone-numbers does not list it, even filtered by the agent id', async () => {
      expect((await globex.api.get('/v1/phone-numbers')).body).toEqual({ data: [], next_cursor: null });
      expect((await globex.api.get(`/v1/phone-numbers?agent_id=${agent.id}`)).body.data).toEqual([]);
      expect((await acme.api.get('/v1/phone-numbers')).body.data.map((n: any) => n.phone_number)).toEqual([
        phone,
      ]);
    });

    it('PATCH is 404 number_not_found and changes nothing', async () => {
      expectError(
        await globex.api.patch(rawPath(phone), { custom_prompt: 'hijacked' }),
        404,
        'number_not_found',
      );
      expectError(
        await globex.api.patch(encodedPath(phone), { voice: 'x', webhook_url: null }),
        404,
        'number_not_found',
      );
    });

    it('DELETE is 404 number_not_found and leaves the row and Twilio untouched', async () => {
      expectError(await globex.api.delete(rawPath(phone)), 404, 'number_not_found');
      expectError(
        await globex.api.delete(`${encodedPath(phone)}?restore_webhooks=true`),
        404,
        'number_not_found',
      );
    });

    it("import of a number missing from Twilio with acme's agent reports step 2 first", async () => {
      const res = await globex.api.post('/v1/phone-numbers', {
        phone_number: ukNumber(),
        twilio_sid: twilio.account_sid,
        twilio_token: twilio.auth_token,
        agent_id: agent.id,
      });
      // The number does not exist in Twilio, so step 2 answers first.
      expectError(res, 404, 'twilio_number_not_found');
    });

    it("import of acme's number with acme's agent is 403 agent_not_owned; with globex's agent 409", async () => {
      const body = { phone_number: phone, twilio_sid: twilio.account_sid, twilio_token: twilio.auth_token };
      expectError(
        await globex.api.post('/v1/phone-numbers', { ...body, agent_id: agent.id }),
        403,
        'agent_not_owned',
      );
      const own = await createAgent(globex);
      expectError(
        await globex.api.post('/v1/phone-numbers', { ...body, agent_id: own.id }),
        409,
        'number_already_imported',
      );
      await globex.api.delete(`/v1/agents/${own.id}`);
    });
  });

  describe('agents', () => {
    it('GET /v1/agents/:id, PATCH and DELETE are 404 agent_not_found; the list does not show it', async () => {
      expectError(await globex.api.get(`/v1/agents/${agent.id}`), 404, 'agent_not_found');
      expectError(
        await globex.api.patch(`/v1/agents/${agent.id}`, { name: 'mine now' }),
        404,
        'agent_not_found',
      );
      expectError(await globex.api.delete(`/v1/agents/${agent.id}`), 404, 'agent_not_found');
      expect((await globex.api.get('/v1/agents')).body.data).toEqual([]);
      expect((await acme.api.get('/v1/agents')).body.data.map((a: any) => a.id)).toEqual([agent.id]);
    });
  });
});
