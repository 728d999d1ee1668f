import { Webhook } from 'standardwebhooks';
import { createAccount, TestAccount } from '../factories/accounts';
import {
  customerEvent,
  deadLetter,
  deliveryOf,
  FAST_WEBHOOK_ENV,
  publishCustomerEvent,
  Receiver,
  webhookSecret,
} from '../factories/customer-webhooks';
import { createAgent, importedNumber } from '../factories/numbers';
import { Stack, waitFor } from '../harness/stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('customer webhooks: signed, at-least-once delivery', () => {
  let stack: Stack;
  let acme: TestAccount;
  let receiver: Receiver;

  beforeAll(async () => {
    stack = await Stack.start({ env: FAST_WEBHOOK_ENV });
    acme = await createAccount(stack);
    receiver = await Receiver.start();
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  it('delivers an agent event signed so the standardwebhooks package verifies it with the account secret', async () => {
    const agent = await createAgent(acme, { webhook_url: receiver.url('/signed') });
    const event = customerEvent(acme, { agent_id: agent.id, data: { message_id: 'msg_1', body: 'Héllo ✓' } });
    await publishCustomerEvent(stack, event);

    const delivery = await deliveryOf(acme, event.event_id);
    expect(delivery).toMatchObject({
      status: 'delivered',
      event_type: 'sms.received',
      url: receiver.url('/signed'),
      agent_id: agent.id,
      phone_number: null,
      attempt_count: 1,
      last_http_status: 200,
      failure_reason: null,
    });
    expect(delivery.attempts).toEqual([
      expect.objectContaining({ attempt: 1, http_status: 200, error: null, duration_ms: expect.any(Number) }),
    ]);

    const [got] = receiver.forEvent(event.event_id);
    expect(got.path).toBe('/signed');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const secret = await webhookSecret(acme);
    expect(secret).toMatch(/^whsec_/);
    const verified = new Webhook(secret).verify(got.body, got.headers);
    expect(verified).toEqual({
      id: event.event_id,
      type: 'sms.received',
      timestamp: event.occurred_at,
      account_id: acme.account_id,
      phone_number: null,
      agent_id: agent.id,
      data: { message_id: 'msg_1', body: 'Héllo ✓' },
    });
    expect(delivery.payload).toEqual(verified);
    // A tampered body does not verify.
    expect(() => new Webhook(secret).verify(got.body.replace('msg_1', 'msg_2'), got.headers)).toThrow();
  });

  it('retries a failing endpoint with backoff and records every attempt until it recovers', async () => {
    const agent = await createAgent(acme, { webhook_url: receiver.url('/flaky') });
    receiver.plan(500, 503, 200);
    const event = customerEvent(acme, { agent_id: agent.id, type: 'sms.status_updated' });
    await publishCustomerEvent(stack, event);

    const delivery = await deliveryOf(acme, event.event_id);
    expect(delivery).toMatchObject({ status: 'delivered', attempt_count: 3, last_http_status: 200 });
    expect(delivery.attempts.map((a: any) => [a.attempt, a.http_status, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 503, 'HTTP 503'],
      [3, 200, null],
    ]);
    const hits = receiver.forEvent(event.event_id);
    expect(hits).toHaveLength(3);
    // The same webhook-id every time (customers de-duplicate on it), spaced by the schedule (100, 200 ms +-20%).
    expect(new Set(hits.map((h) => h.headers['webhook-id']))).toEqual(new Set([event.event_id]));
    expect(hits[1].at - hits[0].at).toBeGreaterThanOrEqual(70);
    expect(hits[2].at - hits[1].at).toBeGreaterThanOrEqual(150);
    const secret = await webhookSecret(acme);
    for (const h of hits) expect(() => new Webhook(secret).verify(h.body, h.headers)).not.toThrow();
  });

  it('gives up after the last scheduled retry and says why', async () => {
    const agent = await createAgent(acme, { webhook_url: receiver.url('/down') });
    receiver.plan(500, 500, 500, 500);
    const event = customerEvent(acme, { agent_id: agent.id });
    await publishCustomerEvent(stack, event);
    const delivery = await deliveryOf(acme, event.event_id);
    expect(delivery).toMatchObject({
      status: 'failed',
      failure_reason: 'retries_exhausted',
      attempt_count: 4,
      next_attempt_at: null,
    });
    expect(receiver.forEvent(event.event_id)).toHaveLength(4);
    const failed = await acme.api.get('/v1/webhook-deliveries?status=failed');
    expect(failed.body.data.map((d: any) => d.event_id)).toContain(event.event_id);
    expect(failed.body.data.every((d: any) => d.status === 'failed')).toBe(true);
  });

  it('does not follow redirects: a 3xx is a failed attempt and the target is never called', async () => {
    const agent = await createAgent(acme, { webhook_url: receiver.url('/moved') });
    receiver.plan({ status: 302, headers: { location: receiver.url('/elsewhere') } });
    const event = customerEvent(acme, { agent_id: agent.id });
    await publishCustomerEvent(stack, event);
    const delivery = await deliveryOf(acme, event.event_id, (d) => d.status === 'delivered');
    expect(delivery.attempts[0]).toMatchObject({
      http_status: 302,
      error: `HTTP 302: redirect to ${receiver.url('/elsewhere')} not followed`,
    });
    expect(receiver.forEvent(event.event_id).map((h) => h.path)).toEqual(['/moved', '/moved']);
  });

  it('410 Gone disables the URL: later events to it are skipped until the URL changes', async () => {
    const agent = await createAgent(acme, { webhook_url: receiver.url('/gone') });
    receiver.plan(410);
    const first = customerEvent(acme, { agent_id: agent.id });
    await publishCustomerEvent(stack, first);
    expect(await deliveryOf(acme, first.event_id)).toMatchObject({
      status: 'failed',
      failure_reason: 'endpoint_gone',
      attempt_count: 1,
      last_http_status: 410,
    });
    const endpoints = await stack.sql(
      `SELECT url, disabled_reason FROM webhooks.customer_webhook_endpoints WHERE account_id = $1`,
      [acme.account_id],
    );
    expect(endpoints).toEqual([
      { url: receiver.url('/gone'), disabled_reason: 'endpoint answered 410 Gone' },
    ]);

    const second = customerEvent(acme, { agent_id: agent.id });
    await publishCustomerEvent(stack, second);
    expect(await deliveryOf(acme, second.event_id)).toMatchObject({
      status: 'skipped',
      failure_reason: 'endpoint_disabled',
      attempt_count: 0,
      attempts: [],
    });
    expect(receiver.forEvent(second.event_id)).toHaveLength(0);

    // A new URL (here: the same path with a query string) is a new endpoint.
    const patched = await acme.api.patch(`/v1/agents/${agent.id}`, {
      webhook_url: receiver.url('/gone?v=2'),
    });
    expect(patched.status).toBe(200);
    const third = customerEvent(acme, { agent_id: agent.id });
    await publishCustomerEvent(stack, third);
    expect(await deliveryOf(acme, third.event_id)).toMatchObject({
      status: 'delivered',
      url: receiver.url('/gone?v=2'),
    });
  });

  it('delivers an event_id once, however often it is published', async () => {
    const agent = await createAgent(acme, { webhook_url: receiver.url('/dupes') });
    const event = customerEvent(acme, { agent_id: agent.id });
    await Promise.all([publishCustomerEvent(stack, event), publishCustomerEvent(stack, event)]);
    await publishCustomerEvent(stack, event);
    await deliveryOf(acme, event.event_id);
    await sleep(500);
    expect(receiver.forEvent(event.event_id)).toHaveLength(1);
    const rows = await stack.sql(`SELECT id FROM webhooks.customer_webhook_deliveries WHERE event_id = $1`, [
      event.event_id,
    ]);
    expect(rows).toHaveLength(1);
  });

  it("sends a number's event to the number's webhook_url, else its agent's", async () => {
    const agent = await createAgent(acme, { webhook_url: receiver.url('/agent-hook') });
    const own = await importedNumber(stack, acme, {
      agent,
      extra: { webhook_url: receiver.url('/number-hook') },
    });
    const plain = await importedNumber(stack, acme, { agent });
    const a = customerEvent(acme, { phone_number: own.phone, agent_id: agent.id, type: 'sms.replied' });
    const b = customerEvent(acme, { phone_number: plain.phone, agent_id: agent.id, type: 'sms.opted_out' });
    await publishCustomerEvent(stack, a);
    await publishCustomerEvent(stack, b);
    expect(await deliveryOf(acme, a.event_id)).toMatchObject({
      status: 'delivered',
      url: receiver.url('/number-hook'),
      phone_number: own.phone,
    });
    expect(await deliveryOf(acme, b.event_id)).toMatchObject({
      status: 'delivered',
      url: receiver.url('/agent-hook'),
    });
  });

  it('records nothing when no webhook is configured', async () => {
    const agent = await createAgent(acme);
    const quiet = customerEvent(acme, { agent_id: agent.id });
    await publishCustomerEvent(stack, quiet);
    await waitFor('event consumed', async () => {
      const rows = await stack.sql(`SELECT 1 FROM webhooks.inbox WHERE message_id = $1`, [quiet.event_id]);
      return rows.length > 0;
    });
    const rows = await stack.sql(`SELECT id FROM webhooks.customer_webhook_deliveries WHERE event_id = $1`, [
      quiet.event_id,
    ]);
    expect(rows).toEqual([]);
  });

  it('dead-letters a malformed event with the validation reason and delivers nothing', async () => {
    const agent = await createAgent(acme, { webhook_url: receiver.url('/malformed') });
    const malformed = { ...customerEvent(acme, { agent_id: agent.id }), type: 'sms.unknown' };
    await publishCustomerEvent(stack, malformed as any);
    const dead = await waitFor('dead-lettered event', async () => {
      const m = await deadLetter(stack, malformed.event_id);
      return m ?? undefined;
    });
    expect(dead.reason).toMatch(/validation_failed/);
    expect(receiver.forEvent(malformed.event_id)).toEqual([]);
    const rows = await stack.sql(`SELECT id FROM webhooks.customer_webhook_deliveries WHERE event_id = $1`, [
      malformed.event_id,
    ]);
    expect(rows).toEqual([]);
  });

  it('retries a delivery whose process died mid-attempt', async () => {
    const agent = await createAgent(acme, { webhook_url: receiver.url('/crash') });
    receiver.plan('hang');
    const event = customerEvent(acme, { agent_id: agent.id });
    await publishCustomerEvent(stack, event);
    await waitFor('first attempt in flight', async () => receiver.forEvent(event.event_id).length === 1);
    await stack.kill('webhooks');
    stack.spawn('webhooks');
    await stack.waitHealthy();
    // The lease (timeout 1.5 s + 5 s) runs out and another attempt is made.
    const delivery = await deliveryOf(acme, event.event_id, (d) => d.status === 'delivered', 30000);
    expect(delivery.attempts.map((a: any) => [a.attempt, a.http_status])).toEqual([
      [1, null],
      [2, 200],
    ]);
    expect(delivery.attempts[0].error).toMatch(/interrupted/);
  }, 60000);
});
