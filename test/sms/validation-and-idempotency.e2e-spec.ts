import { createAccount } from '../factories/accounts';
import {
  SmsSender,
  recipient,
  sandboxMessages,
  send,
  smsBody,
  smsSender,
  waitForSms,
} from '../factories/sms';
import { Stack } from '../harness/stack';

describe('SMS: validation codes and Idempotency-Key', () => {
  let stack: Stack;
  let s: SmsSender;

  beforeAll(async () => {
    stack = await Stack.start({
      // The concurrent-duplicates test restarts messaging with requests waiting for it: on a
      // loaded CI machine the restart alone took 9 s, against the default 10 s RPC timeout.
      env: { RPC_TIMEOUT_MS: '30000' },
    });
    s = await smsSender(stack);
  }, 60_000);
  afterAll(() => stack?.stop());

  async function messageCount(): Promise<number> {
    const [row] = await stack.sql(`SELECT count(*)::int AS n FROM messaging.messages`);
    return row.n;
  }

  describe('each refusal has its own code and stores nothing', () => {
    const cases: [string, (s: SmsSender) => Record<string, unknown>, number, string][] = [
      ['to not E.164', (x) => ({ ...smsBody(x, '07386172392') }), 400, 'invalid_phone_format'],
      ['to impossible', (x) => ({ ...smsBody(x, '+44123') }), 400, 'invalid_phone_format'],
      [
        'from_number not E.164',
        (x) => ({ ...smsBody(x, recipient()), from_number: '447446466847' }),
        400,
        'invalid_phone_format',
      ],
      ['empty message', (x) => smsBody(x, recipient(), ''), 400, 'message_empty'],
      ['blank message', (x) => smsBody(x, recipient(), '   \n '), 400, 'message_empty'],
      ['over 1600 characters', (x) => smsBody(x, recipient(), 'a'.repeat(1601)), 400, 'message_too_long'],
      [
        'number not imported',
        (x) => ({ ...smsBody(x, recipient()), from_number: '+447700900123' }),
        404,
        'number_not_found',
      ],
      [
        'unknown agent',
        (x) => ({ ...smsBody(x, recipient()), agent_id: 'agent_0000000000000000' }),
        404,
        'agent_not_found',
      ],
      [
        'missing field',
        (x) => ({ agent_id: x.agent_id, to: recipient(), message: 'hi' }),
        400,
        'validation_failed',
      ],
      ['wrong type', (x) => ({ ...smsBody(x, recipient()), message: 42 }), 400, 'validation_failed'],
      [
        'unknown field',
        (x) => ({ ...smsBody(x, recipient()), media_url: 'http://x' }),
        400,
        'validation_failed',
      ],
    ];
    it.each(cases)('%s', async (_name, build, status, code) => {
      const before = await messageCount();
      const res = await s.account.api.post('/v1/sms', build(s));
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(await messageCount()).toBe(before);
    });

    it('exactly 1600 characters is accepted', async () => {
      const res = await send(s, recipient(), 'a'.repeat(1600));
      expect(res.status).toBe(202);
      expect(res.body.segments).toBe(11);
    });

    it('number attached to another agent of the account: 400 number_not_attached_to_agent', async () => {
      const other = await s.account.api.post('/v1/agents', { name: 'Other agent' });
      const before = await messageCount();
      const res = await s.account.api.post('/v1/sms', {
        ...smsBody(s, recipient()),
        agent_id: other.body.id,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('number_not_attached_to_agent');
      expect(await messageCount()).toBe(before);
    });

    it("another account's agent is not found (agents are invisible across accounts)", async () => {
      const stranger = await createAccount(stack, 'Stranger');
      const theirs = await stranger.api.post('/v1/agents', { name: 'Theirs' });
      const res = await s.account.api.post('/v1/sms', {
        ...smsBody(s, recipient()),
        agent_id: theirs.body.id,
      });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('agent_not_found');
    });

    it('a malformed Idempotency-Key is refused', async () => {
      const res = await send(s, recipient(), 'hi', { 'idempotency-key': 'x'.repeat(256) });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    });
  });

  describe('Idempotency-Key', () => {
    it('same key and body: the first response again, one message, one send', async () => {
      const to = recipient();
      const headers = { 'idempotency-key': `k-${Date.now()}-same` };
      const body = smsBody(s, to, 'only once please');
      const first = await s.account.api.post('/v1/sms', body, headers);
      expect(first.status).toBe(202);
      await waitForSms(s, first.body.message_id, (b) => b.status === 'delivered');
      const again = await s.account.api.post('/v1/sms', body, headers);
      expect(again.status).toBe(202);
      expect(again.body).toEqual(first.body);
      const rows = await stack.sql(`SELECT id FROM messaging.messages WHERE to_number = $1`, [to]);
      expect(rows).toHaveLength(1);
      expect(await sandboxMessages(stack, { to })).toHaveLength(1);
    });

    it('same key, different body: 422 idempotency_key_reused and nothing stored', async () => {
      const key = `k-${Date.now()}-reused`;
      const first = await send(s, recipient(), 'one', { 'idempotency-key': key });
      expect(first.status).toBe(202);
      const before = await messageCount();
      const second = await send(s, recipient(), 'two', { 'idempotency-key': key });
      expect(second.status).toBe(422);
      expect(second.body.error.code).toBe('idempotency_key_reused');
      expect(await messageCount()).toBe(before);
    });

    it('keys are per account: the same key in another account is independent', async () => {
      const key = `k-${Date.now()}-shared`;
      const other = await smsSender(stack);
      const a = await send(s, recipient(), 'mine', { 'idempotency-key': key });
      const b = await send(other, recipient(), 'theirs', { 'idempotency-key': key });
      expect(a.status).toBe(202);
      expect(b.status).toBe(202);
      expect(a.body.message_id).not.toBe(b.body.message_id);
    });

    it('a refused request does not burn its key', async () => {
      const key = `k-${Date.now()}-refused`;
      const bad = await send(s, 'nope', 'hi', { 'idempotency-key': key });
      expect(bad.status).toBe(400);
      const good = await send(s, recipient(), 'hi', { 'idempotency-key': key });
      expect(good.status).toBe(202);
    });

    it('concurrent duplicates: one message; the others replay it or get 409 idempotency_key_in_use', async () => {
      const to = recipient();
      const headers = { 'idempotency-key': `k-${Date.now()}-race` };
      const body = smsBody(s, to, 'race');
      // Queue them while messaging is down so they are consumed together.
      await stack.kill('messaging');
      const pending = Array.from({ length: 6 }, () => s.account.api.post('/v1/sms', body, headers));
      await new Promise((r) => setTimeout(r, 500));
      stack.spawn('messaging');
      const results = await Promise.all(pending);
      const ok = results.filter((r) => r.status === 202);
      const busy = results.filter((r) => r.status === 409);
      expect(ok.length + busy.length).toBe(results.length);
      expect(ok.length).toBeGreaterThanOrEqual(1);
      expect(busy.length).toBeGreaterThanOrEqual(1);
      for (const r of busy) expect(r.body.error.code).toBe('idempotency_key_in_use');
      expect(new Set(ok.map((r) => r.body.message_id)).size).toBe(1);
      const rows = await stack.sql(`SELECT id FROM messaging.messages WHERE to_number = $1`, [to]);
      expect(rows).toHaveLength(1);
      await waitForSms(s, rows[0].id, (b) => b.status === 'delivered');
      expect(await sandboxMessages(stack, { to })).toHaveLength(1);
    });
  });
});
