/**
 * One request id follows an API call through every service's JSON log lines:
 * the gateway's request line, the command it sends, the outbox event the
 * command writes and what that event causes in webhooks. Secrets and SMS
 * bodies never reach the logs at the default level.
 */
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { http } from '../harness/api';
import { LogEntry, Stack, waitFor } from '../harness/stack';
import { SmsSender, recipient, send, smsSender, waitForSms } from '../factories/sms';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids and JSON logs', () => {
  let stack: Stack;
  let s: SmsSender;
  const bodies: string[] = [];
  const secrets: string[] = [];

  beforeAll(async () => {
    stack = await Stack.start();
    s = await smsSender(stack);
  }, 90_000);
  afterAll(() => stack?.stop());

  const withId = (id: string): LogEntry[] => stack.logEntries().filter((e) => e.request_id === id);
  const requestLine = (id: string) =>
    waitFor(`the gateway's request line for ${id}`, async () =>
      withId(id).find((e) => e.service === 'gateway' && e.context === 'Http'),
    );

  it('echoes X-Request-Id and every service logs the work it caused under it', async () => {
    const id = `req-${randomBytes(6).toString('hex')}`;
    const body = `Private words ${randomBytes(6).toString('hex')}`;
    bodies.push(body);
    const sent = await send(s, recipient('1234'), body, { 'x-request-id': id });
    expect(sent.status).toBe(202);
    expect(sent.headers.get('x-request-id')).toBe(id);
    await waitForSms(s, sent.body.message_id, (b) => b.status === 'delivered');

    expect(await requestLine(id)).toMatchObject({
      level: 'info',
      method: 'POST',
      route: '/v1/sms',
      status: 202,
      duration_ms: expect.any(Number),
      time: expect.any(String),
    });
    // The number lookup and accept commands, and the dispatch event the accept's outbox row became.
    const lines = await waitFor('messaging lines under the id', async () => {
      const mine = withId(id);
      return mine.some((e) => e.key === 'sms.dispatch.v1' && e.outcome === 'ok') ? mine : undefined;
    });
    const handled = lines.filter((e) => e.context === 'AmqpServer').map((e) => [e.service, e.kind, e.key]);
    expect(handled).toEqual(
      expect.arrayContaining([
        ['numbers', 'command', 'numbers.resolve.v1'],
        ['messaging', 'command', 'sms.send.v1'],
        ['messaging', 'event', 'sms.dispatch.v1'],
      ]),
    );
    expect(lines.find((e) => e.key === 'sms.send.v1')).toMatchObject({
      outcome: 'ok',
      attempt: 1,
      duration_ms: expect.any(Number),
      message_id: expect.any(String),
    });
    // Nothing unrelated: the gateway's request line is this request's only HTTP line.
    expect(lines.filter((e) => e.context === 'Http')).toHaveLength(1);

    // Twilio's status callback is a request of its own: webhooks takes it, messaging applies it,
    // and the customer event messaging's outbox wrote comes back to webhooks, all under its id.
    const callback = await waitFor('a status callback whose customer event was handled', async () =>
      stack
        .logEntries()
        .filter((e) => e.service === 'webhooks' && e.route === '/twilio/sms-status' && e.status === 200)
        .find((e) => withId(e.request_id!).some((l) => l.key === 'customer-events.emit.v1')),
    );
    expect(withId(callback.request_id!).map((e) => [e.service, e.key ?? e.route])).toEqual(
      expect.arrayContaining([
        ['webhooks', '/twilio/sms-status'],
        ['messaging', 'sms.status-received.v1'],
        ['webhooks', 'customer-events.emit.v1'],
      ]),
    );

    // A gateway call answered by webhooks (the signing secret, which no line shows).
    const secret = await s.account.api.get('/v1/webhook-secret', { 'x-request-id': `${id}-secret` });
    expect(secret.status).toBe(200);
    secrets.push(secret.body.secret);
    const asked = await waitFor('webhooks line', async () =>
      withId(`${id}-secret`).find((e) => e.service === 'webhooks'),
    );
    expect(asked).toMatchObject({ kind: 'command', key: 'customer-webhooks.secret.get.v2', outcome: 'ok' });
  });

  it('generates an id when none is sent or the one sent is not usable, errors included', async () => {
    const none = await s.account.api.get('/v1/sms?limit=1');
    expect(none.status).toBe(200);
    const generated = none.headers.get('x-request-id')!;
    expect(generated).toMatch(UUID);
    expect(await requestLine(generated)).toMatchObject({ method: 'GET', route: '/v1/sms', status: 200 });

    for (const bad of ['has spaces in it', 'x'.repeat(129), 'quote"d']) {
      const res = await s.account.api.get('/v1/sms?limit=1', { 'x-request-id': bad });
      expect(res.headers.get('x-request-id')).toMatch(UUID);
    }
    expect(JSON.stringify(stack.logEntries())).not.toContain('has spaces in it');

    // An error response (no key), and a route that does not exist: the pattern, never the raw URL.
    const unauthorized = await http('GET', `${stack.gatewayUrl}/v1/sms/msg_secretish`, {
      headers: { 'x-request-id': 'err-1' },
    });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('x-request-id')).toBe('err-1');
    expect(await requestLine('err-1')).toMatchObject({ route: '/v1/sms/:id', status: 401 });
    const missing = await http('GET', `${stack.gatewayUrl}/nowhere/abc`, {
      headers: { 'x-request-id': 'err-2' },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toBe('err-2');
    expect(await requestLine('err-2')).toMatchObject({ status: 404 });
    expect(JSON.stringify(stack.logEntries())).not.toContain('nowhere/abc');
  });

  it('no API key, Twilio auth token or SMS body in any service log line', () => {
    const log = fs.readFileSync(stack.logFile, 'utf8');
    expect(stack.logEntries().map((e) => e.service)).toEqual(
      expect.arrayContaining(['gateway', 'numbers', 'messaging', 'webhooks', 'voice']),
    );
    expect(bodies.length).toBeGreaterThan(0);
    for (const secret of [s.account.api_key, s.twilio.auth_token, ...bodies])
      expect(log).not.toContain(secret);
  });
});
