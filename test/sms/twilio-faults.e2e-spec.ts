import { http } from '../harness/api';
import {
  SmsSender,
  clearFaults,
  recipient,
  sandboxAdmin,
  sandboxFaults,
  sandboxMessages,
  send,
  smsSender,
  waitForSms,
} from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';

async function requests(
  stack: Stack,
  pathContains: string,
): Promise<{ method: string; status: number; path: string; params?: Record<string, string> }[]> {
  const res = await http(
    'GET',
    `${stack.sandboxUrl}/__admin/requests?path_contains=${encodeURIComponent(pathContains)}`,
  );
  return res.body;
}

describe('SMS: Twilio faults (retries, reconciliation, refusals)', () => {
  let stack: Stack;
  let s: SmsSender;

  beforeAll(async () => {
    stack = await Stack.start({
      env: {
        SMS_RETRY_BASE_MS: '100',
        SMS_RETRY_MAX_MS: '1000',
        SMS_DISPATCH_POLL_MS: '100',
        // Each 429 pauses the sender (pacing): short pauses, so the storm below ends in time.
        SMS_PACE_429_BACKOFF_MS: '50',
        SMS_PACE_429_BACKOFF_MAX_MS: '200',
        SMS_PACE_21611_BACKOFF_MS: '60000',
      },
    });
    s = await smsSender(stack);
  }, 60_000);
  afterAll(() => stack?.stop());
  afterEach(() => clearFaults(stack));

  it('a 429 storm ends with every message sent exactly once', async () => {
    await sandboxFaults(stack, { api: { status: 429, count: 40, path_contains: '/Messages.json' } });
    const batch = Array.from({ length: 15 }, () => recipient());
    const accepted = await Promise.all(batch.map((to) => send(s, to, `storm to ${to}`)));
    for (const r of accepted) expect(r.status).toBe(202);
    for (const r of accepted) await waitForSms(s, r.body.message_id, (b) => b.status === 'delivered', 40_000);
    for (const to of batch) {
      const atTwilio = await sandboxMessages(stack, { to });
      expect(atTwilio).toHaveLength(1);
    }
    const log = await requests(stack, '/Messages.json');
    expect(log.filter((r) => r.status === 429).length).toBe(40);
    const [row] = await stack.sql(
      `SELECT max(attempts)::int AS max FROM messaging.messages WHERE id = ANY($1)`,
      [accepted.map((r) => r.body.message_id)],
    );
    expect(row.max).toBeGreaterThan(1);
  });

  it('Twilio 5xx: asks Twilio before resending, and sends exactly once', async () => {
    await sandboxFaults(stack, { api: { status: 500, count: 3, path_contains: '/Messages.json' } });
    const to = recipient();
    const res = await send(s, to);
    await waitForSms(s, res.body.message_id, (b) => b.status === 'delivered', 30_000);
    expect(await sandboxMessages(stack, { to })).toHaveLength(1);
  });

  it('drop_after_create (Twilio stored it, the socket died): reconciled, adopted, no duplicate', async () => {
    await sandboxFaults(stack, { drop_after_create: { count: 1 } });
    const to = recipient();
    const res = await send(s, to, 'dropped but delivered');
    const done = await waitForSms(s, res.body.message_id, (b) => b.status === 'delivered', 30_000);
    const atTwilio = await sandboxMessages(stack, { to });
    expect(atTwilio).toHaveLength(1);
    expect(done.twilio_sid).toBe(atTwilio[0].sid);
    // The create was followed by a list (the reconciliation), not by a second create.
    const log = await requests(stack, '/Messages.json');
    const creates = log.filter((r) => r.method === 'POST' && r.params?.To === to);
    expect(creates.map((r) => r.status)).toEqual([0]);
    expect(log.some((r) => r.method === 'GET' && r.path.includes(to.slice(1)))).toBe(true);
    // Its callbacks came before the SID was known: parked, then settled when it was adopted
    // (the adopted message already said `delivered`, so they change nothing).
    const callbacks = await stack.sql(
      `SELECT status, applied_at, outcome FROM messaging.status_callbacks WHERE twilio_sid = $1`,
      [done.twilio_sid],
    );
    expect(callbacks.length).toBeGreaterThan(0);
    for (const c of callbacks) expect(c).toMatchObject({ applied_at: expect.any(Date), outcome: 'ignored' });
  });

  it('two identical messages to one recipient, both dropped: each adopts its own SID', async () => {
    await sandboxFaults(stack, { drop_after_create: { count: 2 } });
    const to = recipient();
    const a = await send(s, to, 'same words');
    const b = await send(s, to, 'same words');
    const da = await waitForSms(s, a.body.message_id, (x) => x.status === 'delivered', 30_000);
    const db = await waitForSms(s, b.body.message_id, (x) => x.status === 'delivered', 30_000);
    expect(da.twilio_sid).not.toBe(db.twilio_sid);
    expect(await sandboxMessages(stack, { to })).toHaveLength(2);
  });

  it("rejected credentials end the message failed with Twilio's 20003", async () => {
    const other = await smsSender(stack);
    await sandboxAdmin(stack, 'POST', `/accounts/${other.twilio.account_sid}`, {
      auth_token: 'f'.repeat(32),
    });
    const res = await send(other, recipient());
    const done = await waitForSms(other, res.body.message_id, (b) => b.status === 'failed');
    expect(done.error_code).toBe('20003');
  });

  it('other Twilio refusals end failed with their code (21211); 21611 (sender queue full) pauses and retries', async () => {
    const res = await send(s, recipient('1211'));
    const done = await waitForSms(s, res.body.message_id, (b) => b.status === 'failed');
    expect(done.error_code).toBe('21211');
    expect(done.error_message).toEqual(expect.any(String));

    // 21611 is about the sender, not the message: the sender pauses, the message waits (not failed).
    const full = await send(s, recipient('1611'));
    const at = Date.now();
    const [row] = await waitFor('the 21611 answer', async () => {
      const rows = await stack.sql(
        `SELECT status, dispatch_state, attempts, next_attempt_at, last_attempt_error
           FROM messaging.messages WHERE id = $1 AND last_attempt_error LIKE '%21611%'`,
        [full.body.message_id],
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(row).toMatchObject({ status: 'queued', dispatch_state: 'pending', attempts: 1 });
    expect(row.next_attempt_at.getTime()).toBeGreaterThan(at + 50_000);
  });
});
