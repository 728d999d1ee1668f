import { Webhook } from 'standardwebhooks';
import { createAccount, TestAccount } from '../factories/accounts';
import {
  customerEvent,
  deliveryOf,
  FAST_WEBHOOK_ENV,
  publishCustomerEvent,
  Receiver,
  webhookSecret,
} from '../factories/customer-webhooks';
import { createAgent } from '../factories/numbers';
import { Stack } from '../harness/stack';

const GRACE_MS = 3000;

describe('customer webhook secrets, rotation and account isolation', () => {
  let stack: Stack;
  let acme: TestAccount;
  let globex: TestAccount;
  let receiver: Receiver;

  beforeAll(async () => {
    // The production grace period is 24 h; a short one lets the test see it end.
    stack = await Stack.start({
      env: { ...FAST_WEBHOOK_ENV, CUSTOMER_WEBHOOK_SECRET_GRACE_MS: String(GRACE_MS) },
    });
    acme = await createAccount(stack, 'Acme');
    globex = await createAccount(stack, 'Globex');
    receiver = await Receiver.start();
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  it('creates one secret per account on first read, stores it sealed, and keeps returning it', async () => {
    const [a1, a2] = await Promise.all([
      acme.api.get('/v1/webhook-secret'),
      acme.api.get('/v1/webhook-secret'),
    ]);
    expect(a1.status).toBe(200);
    expect(a1.body).toEqual({
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      created_at: expect.any(String),
      previous_secret_expires_at: null,
    });
    expect(a2.body.secret).toBe(a1.body.secret);
    expect(await webhookSecret(acme)).toBe(a1.body.secret);
    expect(await webhookSecret(globex)).not.toBe(a1.body.secret);
    const rows = await stack.sql(
      `SELECT secret_sealed FROM webhooks.customer_webhook_secrets WHERE account_id = $1`,
      [acme.account_id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].secret_sealed).not.toContain(a1.body.secret.slice(6));
    expect(rows[0].secret_sealed).toMatch(/^v1:/);
  });

  it('rotation: old and new secrets both verify during the grace period, then only the new one', async () => {
    const agent = await createAgent(acme, { webhook_url: receiver.url('/rotate') });
    const oldSecret = await webhookSecret(acme);
    const rotated = await acme.api.post('/v1/webhook-secret/rotate');
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.secret;
    expect(newSecret).not.toBe(oldSecret);
    expect(Date.parse(rotated.body.previous_secret_expires_at) - Date.now()).toBeGreaterThan(GRACE_MS - 1500);
    expect(await webhookSecret(acme)).toBe(newSecret);

    const during = customerEvent(acme, { agent_id: agent.id });
    await publishCustomerEvent(stack, during);
    await deliveryOf(acme, during.event_id);
    const [hit] = receiver.forEvent(during.event_id);
    expect(hit.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(newSecret).verify(hit.body, hit.headers)).not.toThrow();
    expect(() => new Webhook(oldSecret).verify(hit.body, hit.headers)).not.toThrow();

    await new Promise((r) => setTimeout(r, GRACE_MS + 200));
    expect((await acme.api.get('/v1/webhook-secret')).body.previous_secret_expires_at).toBeNull();
    const after = customerEvent(acme, { agent_id: agent.id });
    await publishCustomerEvent(stack, after);
    await deliveryOf(acme, after.event_id);
    const [late] = receiver.forEvent(after.event_id);
    expect(late.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(() => new Webhook(newSecret).verify(late.body, late.headers)).not.toThrow();
    expect(() => new Webhook(oldSecret).verify(late.body, late.headers)).toThrow();
  });

  it("rotating one account's secret does not touch another's", async () => {
    const before = await webhookSecret(globex);
    await acme.api.post('/v1/webhook-secret/rotate');
    expect(await webhookSecret(globex)).toBe(before);
  });

  it('signs with the owning account secret and shows each account only its own deliveries', async () => {
    const acmeAgent = await createAgent(acme, { webhook_url: receiver.url('/acme') });
    const globexAgent = await createAgent(globex, { webhook_url: receiver.url('/globex') });
    const a = customerEvent(acme, { agent_id: acmeAgent.id });
    const g = customerEvent(globex, { agent_id: globexAgent.id });
    await publishCustomerEvent(stack, a);
    await publishCustomerEvent(stack, g);
    const acmeDelivery = await deliveryOf(acme, a.event_id);
    const globexDelivery = await deliveryOf(globex, g.event_id);

    const [gHit] = receiver.forEvent(g.event_id);
    const [globexSecret, acmeSecret] = [await webhookSecret(globex), await webhookSecret(acme)];
    expect(() => new Webhook(globexSecret).verify(gHit.body, gHit.headers)).not.toThrow();
    expect(() => new Webhook(acmeSecret).verify(gHit.body, gHit.headers)).toThrow();

    const acmeList = await acme.api.get('/v1/webhook-deliveries?limit=200');
    const globexList = await globex.api.get('/v1/webhook-deliveries?limit=200');
    expect(acmeList.body.data.map((d: any) => d.id)).toContain(acmeDelivery.id);
    expect(acmeList.body.data.map((d: any) => d.id)).not.toContain(globexDelivery.id);
    expect(globexList.body.data.map((d: any) => d.id)).toEqual([globexDelivery.id]);

    const cross = await globex.api.get(`/v1/webhook-deliveries/${acmeDelivery.id}`);
    expect(cross.status).toBe(404);
    expect(cross.body.error.code).toBe('webhook_delivery_not_found');
    const missing = await acme.api.get('/v1/webhook-deliveries/whd_0000000000000000');
    expect(missing.status).toBe(404);
  });

  it("an event naming another account's agent is not delivered to that agent", async () => {
    const globexAgent = await createAgent(globex, { webhook_url: receiver.url('/stolen') });
    const forged = customerEvent(acme, { agent_id: globexAgent.id });
    await publishCustomerEvent(stack, forged);
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.forEvent(forged.event_id)).toHaveLength(0);
    const rows = await stack.sql(`SELECT id FROM webhooks.customer_webhook_deliveries WHERE event_id = $1`, [
      forged.event_id,
    ]);
    expect(rows).toEqual([]);
  });

  it('pages the delivery log newest first with a cursor, filters by status, and validates the query', async () => {
    const agent = await createAgent(globex, { webhook_url: receiver.url('/paged') });
    const events = [
      customerEvent(globex, { agent_id: agent.id }),
      customerEvent(globex, { agent_id: agent.id }),
    ];
    for (const e of events) {
      await publishCustomerEvent(stack, e);
      await deliveryOf(globex, e.event_id);
    }
    const all = (await globex.api.get('/v1/webhook-deliveries?limit=200')).body.data;
    const first = await globex.api.get('/v1/webhook-deliveries?limit=2');
    expect(first.body.data.map((d: any) => d.id)).toEqual(all.slice(0, 2).map((d: any) => d.id));
    expect(first.body.data[0].event_id).toBe(events[1].event_id);
    const second = await globex.api.get(`/v1/webhook-deliveries?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data.map((d: any) => d.id)).toEqual(all.slice(2, 4).map((d: any) => d.id));

    expect((await globex.api.get('/v1/webhook-deliveries?status=skipped')).body.data).toEqual([]);
    const bad = await globex.api.get('/v1/webhook-deliveries?status=bogus');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    const badCursor = await globex.api.get('/v1/webhook-deliveries?cursor=nope');
    expect(badCursor.body.error.code).toBe('invalid_cursor');
    expect((await new (acme.api.constructor as any)(stack.gatewayUrl).get('/v1/webhook-secret')).status).toBe(
      401,
    );
  });
});
