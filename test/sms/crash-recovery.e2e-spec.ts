import {
  SmsSender,
  clearFaults,
  recipient,
  sandboxFaults,
  sandboxMessages,
  send,
  smsBody,
  smsSender,
  waitForSms,
} from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';

const FAST = {
  SMS_RETRY_BASE_MS: '100',
  SMS_RETRY_MAX_MS: '1000',
  SMS_DISPATCH_POLL_MS: '100',
  SMS_DISPATCH_LEASE_MS: '3000',
  // Each 429 pauses the sender (pacing): short pauses, so the 429 batch below ends in time.
  SMS_PACE_429_BACKOFF_MS: '50',
  SMS_PACE_429_BACKOFF_MAX_MS: '200',
};

describe('SMS: the messaging process killed (kill -9) and restarted', () => {
  let stack: Stack;
  let s: SmsSender;

  beforeAll(async () => {
    stack = await Stack.start({ env: { ...FAST, RPC_TIMEOUT_MS: '20000' } });
    s = await smsSender(stack);
  }, 60_000);
  afterAll(() => stack?.stop());
  afterEach(() => clearFaults(stack));

  it('killed mid-batch: loses nothing and sends nothing twice', async () => {
    // Slow the batch down with throttling so the kill lands in the middle of it.
    await sandboxFaults(stack, { api: { status: 429, count: 25, path_contains: '/Messages.json' } });
    const batch = Array.from({ length: 25 }, () => recipient());
    const accepted = await Promise.all(batch.map((to) => send(s, to, `batch ${to}`)));
    for (const r of accepted) expect(r.status).toBe(202);
    await waitFor('some sent, some not', async () => {
      const [row] = await stack.sql(
        `SELECT count(twilio_sid)::int AS sent, count(*)::int AS total FROM messaging.messages WHERE id = ANY($1)`,
        [accepted.map((r) => r.body.message_id)],
      );
      return row.sent >= 1 ? row : undefined;
    });
    await stack.kill('messaging');
    const [mid] = await stack.sql(
      `SELECT count(*) FILTER (WHERE twilio_sid IS NULL)::int AS unsent FROM messaging.messages WHERE id = ANY($1)`,
      [accepted.map((r) => r.body.message_id)],
    );
    expect(mid.unsent).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    stack.spawn('messaging');
    for (const r of accepted) await waitForSms(s, r.body.message_id, (b) => b.status === 'delivered', 40_000);
    for (const to of batch) expect(await sandboxMessages(stack, { to })).toHaveLength(1);
  });

  it('killed after an ambiguous create (request reached Twilio, answer lost): reconciled after restart', async () => {
    await sandboxFaults(stack, { drop_after_create: { count: 1 } });
    const to = recipient();
    const res = await send(s, to, 'ambiguous then crash');
    await waitFor('attempt recorded as uncertain', async () => {
      const rows = await stack.sql(`SELECT dispatch_state FROM messaging.messages WHERE id = $1`, [
        res.body.message_id,
      ]);
      return rows[0]?.dispatch_state === 'uncertain' || rows[0]?.dispatch_state === 'done'
        ? rows[0]
        : undefined;
    });
    await stack.kill('messaging');
    stack.spawn('messaging');
    const done = await waitForSms(s, res.body.message_id, (b) => b.status === 'delivered', 30_000);
    const atTwilio = await sandboxMessages(stack, { to });
    expect(atTwilio).toHaveLength(1);
    expect(done.twilio_sid).toBe(atTwilio[0].sid);
  });

  /** Twilio stores the message but the create's answer is lost (the socket dies). */
  async function sendWithLostAnswer(to: string, body: string) {
    await sandboxFaults(stack, { drop_after_create: { count: 1 } });
    const res = await send(s, to, body);
    await waitFor('Twilio has it', async () =>
      (await sandboxMessages(stack, { to })).length === 1 ? true : undefined,
    );
    return res;
  }

  /** The row as kill -9 leaves a worker's claim: in_flight, no SID, a lease about to expire. */
  function abandonClaim(messageId: string) {
    return stack.sql(
      `UPDATE messaging.messages SET dispatch_state = 'in_flight', twilio_sid = NULL,
         lease_until = now() + interval '1 second', next_attempt_at = now() + interval '1 second'
       WHERE id = $1`,
      [messageId],
    );
  }

  it('a claim abandoned by a dead worker is reconciled, not resent', async () => {
    // A message Twilio already has, whose worker died before storing the SID:
    // the row is left in_flight with a lease, exactly as kill -9 leaves it.
    const to = recipient();
    const res = await sendWithLostAnswer(to, 'abandoned claim');
    await stack.kill('messaging');
    await abandonClaim(res.body.message_id);
    stack.spawn('messaging');
    const done = await waitForSms(s, res.body.message_id, (b) => b.twilio_sid !== null, 30_000);
    const atTwilio = await sandboxMessages(stack, { to });
    expect(atTwilio).toHaveLength(1);
    expect(done.twilio_sid).toBe(atTwilio[0].sid);
  });

  it('reconciliation finds its message behind more than a page of newer ones to the same recipient', async () => {
    // Found by the Postgres-restart drill: reconciliation read only the newest
    // 200 messages from the number to the recipient, so an older lost create
    // went unseen and the message was sent twice.
    const to = recipient();
    const res = await sendWithLostAnswer(to, 'buried under newer messages');
    await stack.kill('messaging');
    // 1,100 newer messages from the same number to the same recipient (more than one
    // 1,000-row page), created straight at "Twilio" as another sender of the customer's would.
    const url = `${stack.env.TWILIO_API_BASE_URL}/2010-04-01/Accounts/${s.twilio.account_sid}/Messages.json`;
    const auth = `Basic ${Buffer.from(`${s.twilio.account_sid}:${s.twilio.auth_token}`).toString('base64')}`;
    let next = 0;
    const createNewer = async () => {
      while (next < 1100) {
        const body = new URLSearchParams({ From: s.from_number, To: to, Body: `newer ${next++}` });
        const r = await fetch(url, { method: 'POST', headers: { authorization: auth }, body });
        if (r.status !== 201) throw new Error(`sandbox create: ${r.status}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, createNewer));
    await abandonClaim(res.body.message_id);
    stack.spawn('messaging');
    const done = await waitForSms(s, res.body.message_id, (b) => b.twilio_sid !== null, 30_000);
    const buried = (await sandboxMessages(stack, { to })).filter(
      (m) => m.body === 'buried under newer messages',
    );
    expect(buried).toHaveLength(1);
    expect(done.twilio_sid).toBe(buried[0].sid);
  });

  it('killed while POST /v1/sms is in flight: the request still succeeds once messaging is back', async () => {
    await stack.kill('messaging');
    const to = recipient();
    const pending = send(s, to, 'sent while down', { 'idempotency-key': `down-${to}` });
    await new Promise((r) => setTimeout(r, 1000));
    stack.spawn('messaging');
    const res = await pending;
    expect(res.status).toBe(202);
    await waitForSms(s, res.body.message_id, (b) => b.status === 'delivered', 30_000);
    expect(await sandboxMessages(stack, { to })).toHaveLength(1);
  });
});

describe('SMS: POST /v1/sms timing out while messaging is down', () => {
  let stack: Stack;
  let s: SmsSender;

  beforeAll(async () => {
    stack = await Stack.start({ env: { ...FAST, RPC_TIMEOUT_MS: '1500' } });
    s = await smsSender(stack);
  }, 60_000);
  afterAll(() => stack?.stop());

  it('the retry with the same Idempotency-Key returns the stored message, and exactly one is sent', async () => {
    const to = recipient();
    const body = smsBody(s, to, 'retry me');
    const headers = { 'idempotency-key': `timeout-${to}` };
    await stack.kill('messaging');
    const first = await s.account.api.post('/v1/sms', body, headers);
    expect(first.status).toBe(504);
    expect(first.body.error.code).toBe('upstream_timeout');
    stack.spawn('messaging');
    // The command waited in messaging's durable queue and runs on restart.
    const rows = await waitFor(
      'message stored from the timed-out request',
      async () => {
        const r = await stack.sql(`SELECT id FROM messaging.messages WHERE to_number = $1`, [to]);
        return r.length > 0 ? r : undefined;
      },
      30_000,
    );
    const retry = await s.account.api.post('/v1/sms', body, headers);
    expect(retry.status).toBe(202);
    expect(retry.body.message_id).toBe(rows[0].id);
    await waitForSms(s, retry.body.message_id, (b) => b.status === 'delivered', 30_000);
    expect(await stack.sql(`SELECT id FROM messaging.messages WHERE to_number = $1`, [to])).toHaveLength(1);
    expect(await sandboxMessages(stack, { to })).toHaveLength(1);
  });
});
