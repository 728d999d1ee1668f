import { BrokerClient, NumbersCommands, ResolvedNumber } from '@nixflex/common';
import { createAccount, TestAccount } from '../factories/accounts';
import { createAgent, importFixture, importedNumber, rawPath } from '../factories/numbers';
import { Stack } from '../harness/stack';
import { StackBroker, brokerFor } from '../factories/broker';

/**
 * post_call_sms_template on agents and numbers: a placeholder that is not a
 * known variable is refused `400 invalid_template` naming it, wherever the
 * template is saved; a number's own template wins in numbers.resolve.v1 and
 * clearing it gives the agent's back.
 */
describe('numbers: post_call_sms_template validation and the per-number override', () => {
  let stack: Stack;
  let acme: TestAccount;
  let broker: StackBroker;
  let client: BrokerClient;

  beforeAll(async () => {
    stack = await Stack.start();
    acme = await createAccount(stack, 'Acme Dental');
    broker = await brokerFor(stack, 5000);
    client = broker.client;
  });
  afterAll(async () => {
    await broker?.close();
    await stack?.stop();
  });

  const resolve = (phone: string): Promise<ResolvedNumber> =>
    client.request(NumbersCommands.numbersResolve, { phone_number: phone });

  const AGENT_TEMPLATE = 'Thanks for calling {{business_name}}! {{call_summary}}';
  const NUMBER_TEMPLATE = 'Booked for {{ booking_time }}: {{booking_link}} - {{agent_name}}';
  const KNOWN =
    '{{business_name}}, {{agent_name}}, {{caller_number}}, {{call_summary}}, {{booking_time}}, {{booking_link}}';

  /** 400 invalid_template naming exactly `unknown`, in the message and the details. */
  const expectRefused = (res: { status: number; body: any }, unknown: string[]) => {
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({
      status: 400,
      code: 'invalid_template',
    });
    expect(res.body.error.message).toBe(
      `post_call_sms_template uses unknown variables: ${unknown.map((u) => `{{${u}}}`).join(', ')}; known: ${KNOWN}`,
    );
    expect(res.body.error.details).toEqual({
      field: 'post_call_sms_template',
      unknown_variables: unknown,
      known_variables: [
        'business_name',
        'agent_name',
        'caller_number',
        'call_summary',
        'booking_time',
        'booking_link',
      ],
    });
  };

  it('refuses an unknown variable on agent create, and creates nothing', async () => {
    const before = (await acme.api.get('/v1/agents?limit=100')).body.data.length;
    const res = await acme.api.post('/v1/agents', {
      name: 'Receptionist',
      post_call_sms_template: 'Hi {{first_name}}, thanks! {{business_name}} {{ first_name }} {{foo}}',
    });
    expectRefused(res, ['first_name', 'foo']);
    expect((await acme.api.get('/v1/agents?limit=100')).body.data.length).toBe(before);
  });

  it('refuses an unknown variable on agent update and keeps the template it had', async () => {
    const agent = await createAgent(acme, { post_call_sms_template: AGENT_TEMPLATE });
    expect(agent.post_call_sms_template).toBe(AGENT_TEMPLATE);
    const path = `/v1/agents/${agent.id}`;
    expectRefused(await acme.api.patch(path, { post_call_sms_template: 'See you {{appointment}}' }), [
      'appointment',
    ]);
    expect((await acme.api.get(path)).body.post_call_sms_template).toBe(AGENT_TEMPLATE);
    // Known variables, with spaces inside the braces, pass; "" clears.
    expect((await acme.api.patch(path, { post_call_sms_template: NUMBER_TEMPLATE })).status).toBe(200);
    expect(
      (await acme.api.patch(path, { post_call_sms_template: '' })).body.post_call_sms_template,
    ).toBeNull();
  });

  it('refuses an unknown variable on number import and on number update, changing nothing', async () => {
    const f = await importFixture(stack, acme, { extra: { post_call_sms_template: 'Hi {{name}}' } });
    expectRefused(await acme.api.post('/v1/phone-numbers', f.body), ['name']);
    expect((await acme.api.get(rawPath(f.phone))).status).toBe(404);

    const { phone } = await importedNumber(stack, acme, {
      extra: { post_call_sms_template: NUMBER_TEMPLATE },
    });
    expectRefused(await acme.api.patch(rawPath(phone), { post_call_sms_template: '{{booking}} ok' }), [
      'booking',
    ]);
    expect((await acme.api.get(rawPath(phone))).body.post_call_sms_template).toBe(NUMBER_TEMPLATE);
  });

  it("resolves the number's template over its agent's, and the agent's again once it is cleared", async () => {
    const agent = await createAgent(acme, { post_call_sms_template: AGENT_TEMPLATE });
    const { phone, res } = await importedNumber(stack, acme, { agent });
    expect(res.body.post_call_sms_template).toBeNull();
    expect((await resolve(phone)).post_call_sms_template).toBe(AGENT_TEMPLATE);

    const set = await acme.api.patch(rawPath(phone), { post_call_sms_template: NUMBER_TEMPLATE });
    expect(set.status).toBe(200);
    expect(set.body.post_call_sms_template).toBe(NUMBER_TEMPLATE);
    const [row] = await stack.sql(
      `SELECT post_call_sms_template FROM numbers.phone_numbers WHERE phone_number = $1`,
      [phone],
    );
    expect(row.post_call_sms_template).toBe(NUMBER_TEMPLATE);
    expect((await resolve(phone)).post_call_sms_template).toBe(NUMBER_TEMPLATE);

    // Absent leaves it; null clears it, and so does "".
    expect((await acme.api.patch(rawPath(phone), { voice: 'alloy' })).body.post_call_sms_template).toBe(
      NUMBER_TEMPLATE,
    );
    expect(
      (await acme.api.patch(rawPath(phone), { post_call_sms_template: null })).body.post_call_sms_template,
    ).toBeNull();
    expect((await resolve(phone)).post_call_sms_template).toBe(AGENT_TEMPLATE);
    await acme.api.patch(rawPath(phone), { post_call_sms_template: NUMBER_TEMPLATE });
    expect(
      (await acme.api.patch(rawPath(phone), { post_call_sms_template: '' })).body.post_call_sms_template,
    ).toBeNull();
    expect((await resolve(phone)).post_call_sms_template).toBe(AGENT_TEMPLATE);
  });

  it('holds the override to 600 characters like the agent template', async () => {
    const { phone } = await importedNumber(stack, acme);
    expect((await acme.api.patch(rawPath(phone), { post_call_sms_template: 'x'.repeat(600) })).status).toBe(
      200,
    );
    const res = await acme.api.patch(rawPath(phone), { post_call_sms_template: 'x'.repeat(601) });
    expect({ status: res.status, code: res.body.error.code }).toEqual({
      status: 400,
      code: 'validation_failed',
    });
    expect(JSON.stringify(res.body.error)).toContain('post_call_sms_template must be at most 600 characters');
  });
});
