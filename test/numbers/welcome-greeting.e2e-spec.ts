import { createAccount, TestAccount } from '../factories/accounts';
import { createAgent, importFixture, importedNumber, rawPath, sandboxNumber } from '../factories/numbers';
import { Stack } from '../harness/stack';

/**
 * welcome_greeting on agents and on numbers (what a caller hears first):
 * set, change, clear, and the refusals, through the public API, with the
 * stored rows. Which greeting a call gets (the number's, else the agent's)
 * is in resolve.e2e-spec.ts.
 */
describe('numbers: welcome_greeting on agents and numbers', () => {
  let stack: Stack;
  let acme: TestAccount;

  beforeAll(async () => {
    stack = await Stack.start();
    acme = await createAccount(stack, 'Acme Dental');
  });
  afterAll(() => stack?.stop());

  const GREETING = "Hi, you've reached {{business_name}}. How can I help?";

  /** 400 validation_failed, naming welcome_greeting in the message or the field details. */
  const expectGreetingRefused = (res: { status: number; body: any }, detail: RegExp) => {
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({
      status: 400,
      code: 'validation_failed',
    });
    expect(res.body.error.message).toContain('welcome_greeting');
    const text = JSON.stringify(res.body.error);
    expect(text).toMatch(detail);
  };

  describe('agents', () => {
    it('is null by default, set at create, shown by GET and the list', async () => {
      expect((await createAgent(acme)).welcome_greeting).toBeNull();
      const agent = await createAgent(acme, { welcome_greeting: GREETING });
      expect(agent.welcome_greeting).toBe(GREETING);
      expect((await acme.api.get(`/v1/agents/${agent.id}`)).body.welcome_greeting).toBe(GREETING);
      const list = await acme.api.get('/v1/agents?limit=100');
      expect(list.body.data.find((a: any) => a.id === agent.id).welcome_greeting).toBe(GREETING);
      const [row] = await stack.sql(`SELECT welcome_greeting FROM numbers.agents WHERE id = $1`, [agent.id]);
      expect(row.welcome_greeting).toBe(GREETING);
    });

    it('PATCH changes it, leaves it alone when absent, and null, "" or blanks clear it', async () => {
      const agent = await createAgent(acme, { welcome_greeting: 'Hello from the front desk.' });
      const path = `/v1/agents/${agent.id}`;
      expect((await acme.api.patch(path, { welcome_greeting: GREETING })).body.welcome_greeting).toBe(
        GREETING,
      );
      expect((await acme.api.patch(path, { voice: 'alloy' })).body.welcome_greeting).toBe(GREETING);
      expect((await acme.api.patch(path, { welcome_greeting: null })).body.welcome_greeting).toBeNull();
      await acme.api.patch(path, { welcome_greeting: GREETING });
      expect((await acme.api.patch(path, { welcome_greeting: '' })).body.welcome_greeting).toBeNull();
      await acme.api.patch(path, { welcome_greeting: GREETING });
      expect((await acme.api.patch(path, { welcome_greeting: ' \n ' })).body.welcome_greeting).toBeNull();
      const [row] = await stack.sql(`SELECT welcome_greeting FROM numbers.agents WHERE id = $1`, [agent.id]);
      expect(row.welcome_greeting).toBeNull();
    });

    it('1000 characters (emoji count as one) pass; 1001, another placeholder or a non-string are validation_failed and change nothing', async () => {
      const agent = await createAgent(acme, { welcome_greeting: GREETING });
      const path = `/v1/agents/${agent.id}`;
      expect((await acme.api.patch(path, { welcome_greeting: 'x'.repeat(1000) })).status).toBe(200);
      expect((await acme.api.patch(path, { welcome_greeting: '😀'.repeat(1000) })).status).toBe(200);
      await acme.api.patch(path, { welcome_greeting: GREETING });

      expectGreetingRefused(
        await acme.api.patch(path, { welcome_greeting: 'x'.repeat(1001) }),
        /at most 1000 characters/,
      );
      expectGreetingRefused(
        await acme.api.patch(path, { welcome_greeting: 'Welcome to {{business}}!' }),
        /placeholder \{\{business\}\}; the only placeholder is \{\{business_name\}\}/,
      );
      expectGreetingRefused(await acme.api.patch(path, { welcome_greeting: 42 }), /must be a string/);
      expect((await acme.api.get(path)).body.welcome_greeting).toBe(GREETING);

      const before = (await acme.api.get('/v1/agents?limit=100')).body.data.length;
      expectGreetingRefused(
        await acme.api.post('/v1/agents', { name: 'Too long', welcome_greeting: 'y'.repeat(1001) }),
        /at most 1000 characters/,
      );
      expectGreetingRefused(
        await acme.api.post('/v1/agents', { name: 'Bad', welcome_greeting: 'Hi {{ name }}' }),
        /placeholder \{\{ name \}\}/,
      );
      expect((await acme.api.get('/v1/agents?limit=100')).body.data).toHaveLength(before);
    });
  });

  describe('numbers', () => {
    it('is null by default; set at import or by PATCH; null, "" clear it; it stays off the agent', async () => {
      const agent = await createAgent(acme, { welcome_greeting: 'The agent greeting.' });
      const plain = await importedNumber(stack, acme, { agent });
      expect(plain.res.body.welcome_greeting).toBeNull();

      const { phone, res } = await importedNumber(stack, acme, {
        agent,
        extra: { welcome_greeting: GREETING },
      });
      expect(res.body.welcome_greeting).toBe(GREETING);
      expect((await acme.api.get(rawPath(phone))).body.welcome_greeting).toBe(GREETING);
      const list = await acme.api.get(`/v1/phone-numbers?agent_id=${agent.id}`);
      expect(list.body.data.find((n: any) => n.phone_number === phone).welcome_greeting).toBe(GREETING);

      const changed = await acme.api.patch(rawPath(phone), { welcome_greeting: 'Smile Dental, hello!' });
      expect(changed.body.welcome_greeting).toBe('Smile Dental, hello!');
      expect((await acme.api.patch(rawPath(phone), { voice: 'echo' })).body.welcome_greeting).toBe(
        'Smile Dental, hello!',
      );
      expect(
        (await acme.api.patch(rawPath(phone), { welcome_greeting: null })).body.welcome_greeting,
      ).toBeNull();
      await acme.api.patch(rawPath(phone), { welcome_greeting: GREETING });
      expect(
        (await acme.api.patch(rawPath(phone), { welcome_greeting: '' })).body.welcome_greeting,
      ).toBeNull();
      const [row] = await stack.sql(
        `SELECT welcome_greeting FROM numbers.phone_numbers WHERE phone_number = $1`,
        [phone],
      );
      expect(row.welcome_greeting).toBeNull();
      // The number's greeting is its own: the agent keeps its greeting throughout.
      expect((await acme.api.get(`/v1/agents/${agent.id}`)).body.welcome_greeting).toBe(
        'The agent greeting.',
      );
    });

    it('PATCH: 1001 characters or another placeholder are validation_failed and change nothing', async () => {
      const { phone } = await importedNumber(stack, acme, { extra: { welcome_greeting: GREETING } });
      expectGreetingRefused(
        await acme.api.patch(rawPath(phone), { welcome_greeting: 'z'.repeat(1001) }),
        /at most 1000 characters/,
      );
      expectGreetingRefused(
        await acme.api.patch(rawPath(phone), { welcome_greeting: 'Hi {{first_name}}' }),
        /placeholder \{\{first_name\}\}/,
      );
      expect((await acme.api.get(rawPath(phone))).body.welcome_greeting).toBe(GREETING);
      expect(
        (await acme.api.patch(rawPath(phone), { welcome_greeting: 'z'.repeat(1000) })).body.welcome_greeting,
      ).toHaveLength(1000);
    });

    it('import: a refused greeting imports nothing and leaves Twilio untouched', async () => {
      for (const [welcome_greeting, detail] of [
        ['g'.repeat(1001), /at most 1000 characters/],
        ['Welcome to {{ business }}', /placeholder \{\{ business \}\}/],
      ] as const) {
        const f = await importFixture(stack, acme, { extra: { welcome_greeting } });
        const twilioBefore = await sandboxNumber(stack, f.phone);
        expectGreetingRefused(await acme.api.post('/v1/phone-numbers', f.body), detail);
        expect(await sandboxNumber(stack, f.phone)).toEqual(twilioBefore);
        expect((await acme.api.get(rawPath(f.phone))).status).toBe(404);
        const rows = await stack.sql(`SELECT 1 FROM numbers.phone_numbers WHERE phone_number = $1`, [
          f.phone,
        ]);
        expect(rows).toHaveLength(0);
      }
    });
  });
});
