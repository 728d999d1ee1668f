import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { inbound, waitForInbound } from '../factories/inbound';
import {
  SmsSender,
  clearFaults,
  recipient,
  sandboxFaults,
  sandboxMessages,
  smsBody,
  smsSender,
  waitForSms,
} from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';

/**
 * The stack's clock (CLOCK_OFFSET_MS) starts just after 22:00 London on a
 * winter day (London is UTC then): inside the default quiet hours, so an
 * account whose default respects them has its plain sends scheduled for 09:00.
 */
const CLOCK_START = Date.parse('2026-12-11T22:00:05Z');

describe('SMS: expires_at, the account quiet hours, STOP cancels what waits', () => {
  let stack: Stack;
  let s: SmsSender;
  let offset: number;
  let hooks: Server;
  /** The customer events our number's webhook received. */
  const received: any[] = [];
  const statusEvent = (messageId: string, status: string) =>
    waitFor(`sms.status_updated ${status} of ${messageId}`, async () =>
      received.find(
        (e) =>
          e.type === 'sms.status_updated' && e.data?.message_id === messageId && e.data.status === status,
      ),
    );
  const clockNow = () => Date.now() + offset;
  const inSeconds = (seconds: number) => new Date(clockNow() + seconds * 1000).toISOString();
  const post = (sender: SmsSender, body: Record<string, unknown>) => sender.account.api.post('/v1/sms', body);

  /** PATCHes the account settings and waits until messaging applied them. */
  async function settings(sender: SmsSender, patch: Record<string, unknown>, applied: (row: any) => boolean) {
    const res = await sender.account.api.patch('/v1/account/settings', patch);
    expect(res.status).toBe(200);
    await waitFor('messaging to apply the settings', async () => {
      const [row] = await stack.sql(`SELECT * FROM messaging.account_destinations WHERE account_id = $1`, [
        sender.account.account_id,
      ]);
      return row && applied(row) ? row : undefined;
    });
  }

  beforeAll(async () => {
    hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
    offset = CLOCK_START - Date.now();
    stack = await Stack.start({
      env: {
        SMS_DISPATCH_POLL_MS: '200',
        // A send Twilio answers 429 waits 2 to 6 s, queued and unclaimed, before its next attempt.
        SMS_RETRY_BASE_MS: '4000',
        SMS_RETRY_MAX_MS: '4000',
        CLOCK_OFFSET_MS: String(offset),
      },
    });
    s = await smsSender(stack);
    const hooked = await s.account.api.patch(`/v1/phone-numbers/${encodeURIComponent(s.from_number)}`, {
      webhook_url: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`,
    });
    expect(hooked.status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    hooks?.close();
  });

  it('a scheduled message whose expires_at passes ends failed/expired and never reaches Twilio', async () => {
    // Quiet hours hold it until 09:00; it may only go in the next 2 s.
    const to = recipient();
    const res = await post(s, { ...smsBody(s, to), respect_quiet_hours: true, expires_at: inSeconds(2) });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'scheduled', scheduled_for: '2026-12-12T09:00:00.000Z' });
    expect(typeof res.body.expires_at).toBe('string');

    const done = await waitForSms(s, res.body.message_id, (b) => b.status !== 'scheduled', 15_000);
    expect(done).toMatchObject({
      status: 'failed',
      error_code: 'expired',
      twilio_sid: null,
      expires_at: res.body.expires_at,
    });
    expect(done.status_history).toMatchObject([
      { status: 'scheduled', source: 'api' },
      { status: 'failed', error_code: 'expired', source: 'scheduler' },
    ]);
    expect(await sandboxMessages(stack, { to })).toHaveLength(0);
    expect((await statusEvent(res.body.message_id, 'failed')).data).toMatchObject({
      previous_status: 'scheduled',
      error_code: 'expired',
      error_message: 'Not handed to Twilio before its expires_at',
      twilio_sid: null,
      to,
      from_number: s.from_number,
      soft_failure: false,
    });
  });

  it("a message sent with expires_at carries the time left as Twilio's ValidityPeriod (at most 36000 s)", async () => {
    const soon = recipient();
    const sent = await post(s, { ...smsBody(s, soon), expires_at: inSeconds(3600) });
    expect(sent.status).toBe(202);
    expect(sent.body.status).toBe('queued');
    const done = await waitForSms(s, sent.body.message_id, (b) => b.status === 'delivered');
    expect(done.expires_at).toBe(sent.body.expires_at);
    const [atTwilio] = await sandboxMessages(stack, { to: soon });
    expect(atTwilio.validity_period).toBeGreaterThan(3500);
    expect(atTwilio.validity_period).toBeLessThanOrEqual(3600);

    const later = recipient();
    const far = await post(s, { ...smsBody(s, later), expires_at: inSeconds(2 * 86_400) });
    await waitForSms(s, far.body.message_id, (b) => b.status === 'delivered');
    expect((await sandboxMessages(stack, { to: later }))[0].validity_period).toBe(36_000);

    // Without expires_at, no ValidityPeriod (Twilio's default).
    const plain = recipient();
    const none = await post(s, smsBody(s, plain));
    await waitForSms(s, none.body.message_id, (b) => b.status === 'delivered');
    expect((await sandboxMessages(stack, { to: plain }))[0].validity_period).toBeNull();
    expect((await s.account.api.get(`/v1/sms/${none.body.message_id}`)).body.expires_at).toBeNull();
  });

  it.each([
    ['in the past', () => ({ expires_at: inSeconds(-1) }), /in the past/],
    ['more than 30 days ahead', () => ({ expires_at: inSeconds(31 * 86_400) }), /more than 30 days/],
    ['without an offset', () => ({ expires_at: '2026-12-12T10:00:00' }), /ISO 8601/],
    ['not a date', () => ({ expires_at: 'in an hour' }), /ISO 8601/],
    [
      'not after send_at',
      () => ({ send_at: inSeconds(600), expires_at: inSeconds(300) }),
      /not after `send_at`/,
    ],
  ])('refuses an expires_at %s with 400 invalid_expires_at', async (_, fields, message) => {
    const to = recipient();
    const res = await post(s, { ...smsBody(s, to), ...fields() });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_expires_at');
    expect(res.body.error.message).toMatch(message);
    const [{ n }] = await stack.sql(
      `SELECT count(*)::int AS n FROM messaging.messages WHERE to_number = $1`,
      [to],
    );
    expect(n).toBe(0);
  });

  it('a queued message Twilio cannot take before its expires_at ends failed/expired, never sent', async () => {
    const to = recipient();
    await sandboxFaults(stack, { api: { status: 429, count: 10_000, path_contains: '/Messages.json' } });
    try {
      const res = await post(s, { ...smsBody(s, to), expires_at: inSeconds(2) });
      expect(res.body.status).toBe('queued');
      const done = await waitForSms(s, res.body.message_id, (b) => b.status === 'failed', 15_000);
      expect(done).toMatchObject({ error_code: 'expired', twilio_sid: null });
      expect(done.status_history.map((h: any) => h.status)).toEqual(['queued', 'failed']);
      expect(done.status_history[1]).toMatchObject({ error_code: 'expired', source: 'sender' });
    } finally {
      await clearFaults(stack);
    }
    expect(await sandboxMessages(stack, { to })).toHaveLength(0);
  });

  it('an expired message whose last attempt may have reached Twilio is asked about first, then failed/expired', async () => {
    const to = recipient();
    // 500: the attempt may have reached Twilio (`uncertain`); the sender's poll leaves it to the dispatcher.
    await sandboxFaults(stack, { api: { status: 500, count: 10_000, path_contains: '/Messages.json' } });
    let id: string;
    try {
      const res = await post(s, { ...smsBody(s, to), expires_at: inSeconds(1) });
      id = res.body.message_id;
      await waitFor('an uncertain attempt past the expiry', async () => {
        const [row] = await stack.sql(
          `SELECT dispatch_state, expires_at FROM messaging.messages WHERE id = $1`,
          [id],
        );
        return row?.dispatch_state === 'uncertain' && row.expires_at.getTime() < clockNow() ? row : undefined;
      });
    } finally {
      await clearFaults(stack);
    }
    // The next claim reconciles (Twilio has nothing), then ends it instead of sending.
    const done = await waitForSms(s, id, (b) => b.status === 'failed', 20_000);
    expect(done).toMatchObject({ error_code: 'expired', twilio_sid: null });
    expect(done.status_history[1]).toMatchObject({
      status: 'failed',
      error_code: 'expired',
      source: 'sender',
    });
    expect(await sandboxMessages(stack, { to })).toHaveLength(0);
  }, 40_000);

  it('an account whose default respects quiet hours has a plain send at 22:00 London scheduled for 09:00', async () => {
    const a = await smsSender(stack);
    await settings(
      a,
      { respect_quiet_hours_default: true },
      (row) => row.respect_quiet_hours_default === true,
    );
    const res = await post(a, smsBody(a, recipient()));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'scheduled', scheduled_for: '2026-12-12T09:00:00.000Z' });
    // Saying false still sends at once.
    const now = await post(a, { ...smsBody(a, recipient()), respect_quiet_hours: false });
    expect(now.body.status).toBe('queued');
    // Another account (default false) sends at once.
    expect((await post(s, smsBody(s, recipient()))).body.status).toBe('queued');
  });

  it("the account's own window (20:00-08:00) moves a message to its end", async () => {
    const a = await smsSender(stack);
    await settings(
      a,
      { quiet_hours: { start: '20:00', end: '08:00' } },
      (row) => row.quiet_hours_start === '20:00' && row.quiet_hours_end === '08:00',
    );
    const night = await post(a, { ...smsBody(a, recipient()), respect_quiet_hours: true });
    expect(night.body).toMatchObject({ status: 'scheduled', scheduled_for: '2026-12-12T08:00:00.000Z' });
    // 19:30 tomorrow is outside 20:00-08:00 (the default window would not matter either): kept.
    const evening = await post(a, {
      ...smsBody(a, recipient()),
      send_at: '2026-12-12T19:30:00Z',
      respect_quiet_hours: true,
    });
    expect(evening.body).toMatchObject({ status: 'scheduled', scheduled_for: '2026-12-12T19:30:00.000Z' });
    // 20:30 tomorrow is quiet for this account (not for the default 21:00-09:00).
    const late = await post(a, {
      ...smsBody(a, recipient()),
      send_at: '2026-12-12T20:30:00Z',
      respect_quiet_hours: true,
    });
    expect(late.body).toMatchObject({ status: 'scheduled', scheduled_for: '2026-12-13T08:00:00.000Z' });
  });

  it("STOP from a recipient cancels their scheduled messages; another recipient's still goes", async () => {
    const stopper = recipient();
    const other = recipient();
    const first = await post(s, { ...smsBody(s, stopper), send_at: inSeconds(3) });
    const second = await post(s, { ...smsBody(s, stopper), send_at: inSeconds(3600) });
    const kept = await post(s, { ...smsBody(s, other), send_at: inSeconds(3) });
    for (const r of [first, second, kept]) expect(r.body.status).toBe('scheduled');

    const stop = await inbound(stack, stopper, s.from_number, 'STOP');
    await waitForInbound(stack, s, stop.message_sid);
    for (const r of [first, second]) {
      const msg = await waitForSms(s, r.body.message_id, (b) => b.status !== 'scheduled');
      expect(msg).toMatchObject({ status: 'canceled', error_code: 'recipient_opted_out', twilio_sid: null });
      expect(msg.status_history).toMatchObject([
        { status: 'scheduled', source: 'api' },
        { status: 'canceled', error_code: 'recipient_opted_out', source: 'opt_out' },
      ]);
    }
    const [row] = await stack.sql(
      `SELECT dispatch_state, next_attempt_at FROM messaging.messages WHERE id = $1`,
      [first.body.message_id],
    );
    expect(row).toEqual({ dispatch_state: 'failed', next_attempt_at: null });
    const event = await statusEvent(second.body.message_id, 'canceled');
    expect(event).toMatchObject({
      account_id: s.account.account_id,
      agent_id: s.agent_id,
      data: {
        message_id: second.body.message_id,
        previous_status: 'scheduled',
        error_code: 'recipient_opted_out',
        to: stopper,
        from_number: s.from_number,
        call_id: null,
      },
    });

    await waitForSms(s, kept.body.message_id, (b) => b.status === 'delivered');
    // Past the first one's send_at: still nothing at Twilio for the recipient who said STOP.
    expect(
      (await sandboxMessages(stack, { to: stopper })).filter((m) => m.from === s.from_number),
    ).toHaveLength(0);
    expect(await sandboxMessages(stack, { to: other })).toHaveLength(1);
  });

  it('STOP cancels a queued message waiting for its next attempt (Twilio answered 429), never sent', async () => {
    const stopper = recipient();
    await sandboxFaults(stack, { api: { status: 429, count: 1, path_contains: '/Messages.json' } });
    let id: string;
    try {
      const res = await post(s, smsBody(s, stopper));
      expect(res.body.status).toBe('queued');
      id = res.body.message_id;
      await waitFor('the first attempt to be refused with 429', async () => {
        const [row] = await stack.sql(
          `SELECT dispatch_state, attempts FROM messaging.messages WHERE id = $1`,
          [id],
        );
        return row?.dispatch_state === 'pending' && row.attempts === 1 ? row : undefined;
      });
    } finally {
      await clearFaults(stack);
    }
    const stop = await inbound(stack, stopper, s.from_number, 'stop');
    await waitForInbound(stack, s, stop.message_sid);
    const msg = await waitForSms(s, id, (b) => b.status !== 'queued');
    expect(msg).toMatchObject({ status: 'canceled', error_code: 'recipient_opted_out', twilio_sid: null });
    expect(msg.status_history).toMatchObject([
      { status: 'queued', source: 'api' },
      { status: 'canceled', error_code: 'recipient_opted_out', source: 'opt_out' },
    ]);
    expect((await statusEvent(id, 'canceled')).data).toMatchObject({ previous_status: 'queued' });
    // Past the latest its retry could have come: still nothing at Twilio.
    await new Promise((r) => setTimeout(r, 6500));
    expect(await sandboxMessages(stack, { to: stopper })).toHaveLength(0);
  }, 30_000);

  it("Twilio's 21610 refusal cancels what still waits for that recipient", async () => {
    const refused = recipient('1610');
    const waiting = await post(s, { ...smsBody(s, refused), send_at: inSeconds(3600) });
    expect(waiting.body.status).toBe('scheduled');
    const now = await post(s, smsBody(s, refused));
    const failed = await waitForSms(s, now.body.message_id, (b) => b.status === 'failed');
    expect(failed.error_code).toBe('21610');
    const canceled = await waitForSms(s, waiting.body.message_id, (b) => b.status !== 'scheduled');
    expect(canceled).toMatchObject({ status: 'canceled', error_code: 'recipient_opted_out' });
  });
});
