import * as fs from 'node:fs';
import { createAccount, TestAccount } from '../factories/accounts';
import {
  customerEvent,
  deliveryOf,
  FAST_WEBHOOK_ENV,
  publishCustomerEvent,
  Receiver,
} from '../factories/customer-webhooks';
import { createAgent } from '../factories/numbers';
import { Stack } from '../harness/stack';

/** As in production: loopback is not allowed either (ALLOW_LOOPBACK_WEBHOOKS=false). */
describe('customer webhooks refuse internal addresses (SSRF)', () => {
  let stack: Stack;
  let acme: TestAccount;
  let v4: Receiver;
  let v6: Receiver | undefined;

  beforeAll(async () => {
    stack = await Stack.start({ env: { ...FAST_WEBHOOK_ENV, ALLOW_LOOPBACK_WEBHOOKS: 'false' } });
    acme = await createAccount(stack);
    v4 = await Receiver.start('127.0.0.1');
    v6 = await Receiver.start('::1').catch(() => undefined);
  });
  afterAll(async () => {
    await v4?.close();
    await v6?.close();
    await stack?.stop();
  });

  async function expectRefused(url: string): Promise<any> {
    const agent = await createAgent(acme, { webhook_url: url });
    const event = customerEvent(acme, { agent_id: agent.id });
    const started = Date.now();
    await publishCustomerEvent(stack, event);
    const delivery = await deliveryOf(acme, event.event_id);
    expect(delivery).toMatchObject({
      status: 'failed',
      failure_reason: 'address_not_allowed',
      attempt_count: 1,
      last_http_status: null,
      next_attempt_at: null,
    });
    expect(delivery.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        http_status: null,
        error: 'the URL resolves to a private or reserved address',
      }),
    ]);
    // Refused before connecting: no timeout was waited for (10.0.0.1 would otherwise hang until the 1.5 s deadline).
    expect(delivery.attempts[0].duration_ms).toBeLessThan(1000);
    expect(Date.now() - started).toBeLessThan(5000);
    return delivery;
  }

  it.each([
    ['a private address', 'http://10.0.0.1/hooks', 'private'],
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/', 'metadata'],
    ['CGNAT space', 'http://100.64.0.1/hooks', 'cgnat'],
    ['0.0.0.0', 'http://0.0.0.0/hooks', 'unspecified'],
  ])('refuses %s without connecting', async (_what, url, category) => {
    const d = await expectRefused(url);
    // The tenant sees generic text: no address, no category (those are in the service log).
    expect(d.last_error).toBe('the URL resolves to a private or reserved address');
    expect(d.attempts[0].error).toBe('the URL resolves to a private or reserved address');
    expect(fs.readFileSync(stack.logFile, 'utf8')).toContain(`(${category})`);
  });

  it('refuses IPv4 loopback, by literal and by a name that resolves to it, and the receiver sees nothing', async () => {
    await expectRefused(v4.url('/literal'));
    const d = await expectRefused(`http://localhost:${v4.port}/by-name`);
    expect(d.last_error).toBe('the URL resolves to a private or reserved address');
    expect(fs.readFileSync(stack.logFile, 'utf8')).toMatch(
      /address 127\.0\.0\.1 is not allowed \(loopback\)/,
    );
    expect(v4.received).toEqual([]);
  });

  it('refuses IPv6 loopback [::1] and the receiver sees nothing', async () => {
    if (!v6) return; // no IPv6 loopback on this host
    const d = await expectRefused(v6.url('/v6'));
    expect(d.last_error).toBe('the URL resolves to a private or reserved address');
    expect(fs.readFileSync(stack.logFile, 'utf8')).toContain('address ::1 is not allowed');
    expect(v6.received).toEqual([]);
  });
});
