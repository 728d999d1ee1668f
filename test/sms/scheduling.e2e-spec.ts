import { SmsSender, recipient, sandboxMessages, smsBody, smsSender, waitForSms } from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';

/**
 * The stack's clock (CLOCK_OFFSET_MS) starts a little before 09:00 London on
 * a winter day, so one stack shows quiet hours deferring a message to 09:00
 * and releasing it then, while the other cases run meanwhile.
 */
// A minute before 09:00: the stack's start (slow on a loaded machine) must not reach 09:00 first.
const CLOCK_START = Date.parse('2026-12-11T08:59:00Z');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SMS: scheduled sends, cancel and quiet hours', () => {
  let stack: Stack;
  let s: SmsSender;
  let offset: number;
  const clockNow = () => Date.now() + offset;
  const post = (body: Record<string, unknown>) => s.account.api.post('/v1/sms', body);

  beforeAll(async () => {
    offset = CLOCK_START - Date.now();
    stack = await Stack.start({ env: { SMS_DISPATCH_POLL_MS: '200', CLOCK_OFFSET_MS: String(offset) } });
    s = await smsSender(stack);
    // The US case below needs the US allowed (UK only by default); messaging learns it by event.
    const patched = await s.account.api.patch('/v1/account/settings', {
      allowed_destination_countries: ['GB', 'US'],
    });
    expect(patched.status).toBe(200);
    await waitFor('messaging to allow the US', async () => {
      const [row] = await stack.sql(
        `SELECT allowed_countries FROM messaging.account_destinations WHERE account_id = $1`,
        [s.account.account_id],
      );
      return row?.allowed_countries?.includes('US') ? row : undefined;
    });
  }, 60_000);
  afterAll(() => stack?.stop());

  let quiet: { id: string; to: string };

  it('defers a send inside quiet hours to 09:00 London, then releases it then (once)', async () => {
    expect(new Date(clockNow()).toISOString() < '2026-12-11T08:59:58Z').toBe(true);
    const to = recipient('1234');
    const res = await post({ ...smsBody(s, to), respect_quiet_hours: true });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'scheduled', scheduled_for: '2026-12-11T09:00:00.000Z' });
    const [row] = await stack.sql(`SELECT status, dispatch_state FROM messaging.messages WHERE id = $1`, [
      res.body.message_id,
    ]);
    expect(row).toEqual({ status: 'scheduled', dispatch_state: null });
    quiet = { id: res.body.message_id, to };
  });

  it('defers 22:00 London to 09:00 London the next day, and a US number to 09:00 in its last zone', async () => {
    const gb = await post({
      ...smsBody(s, recipient()),
      send_at: '2026-12-11T22:00:00Z',
      respect_quiet_hours: true,
    });
    expect(gb.status).toBe(202);
    expect(gb.body).toMatchObject({ status: 'scheduled', scheduled_for: '2026-12-12T09:00:00.000Z' });

    // 09:00 in New York is 04:00 in Honolulu: the whole country is awake at 09:00 Honolulu (19:00 UTC).
    const us = await post({
      ...smsBody(s, '+12125550143'),
      send_at: '2026-12-11T14:00:00Z',
      respect_quiet_hours: true,
    });
    expect(us.status).toBe(202);
    expect(us.body).toMatchObject({ status: 'scheduled', scheduled_for: '2026-12-11T19:00:00.000Z' });

    // Without quiet hours the send_at is kept as given.
    const plain = await post({ ...smsBody(s, recipient()), send_at: '2026-12-11T23:00:00+01:00' });
    expect(plain.body).toMatchObject({ status: 'scheduled', scheduled_for: '2026-12-11T22:00:00.000Z' });
    expect((await s.account.api.get(`/v1/sms/${plain.body.message_id}`)).body).toMatchObject({
      status: 'scheduled',
      scheduled_for: '2026-12-11T22:00:00.000Z',
      twilio_sid: null,
    });
  });

  it('sends a message scheduled 3 s ahead once it is due, exactly once', async () => {
    const to = recipient('1234');
    const sendAt = new Date(clockNow() + 3000).toISOString();
    const res = await post({ ...smsBody(s, to), send_at: sendAt });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'scheduled', scheduled_for: sendAt });
    expect(await sandboxMessages(stack, { to })).toHaveLength(0);

    const done = await waitForSms(s, res.body.message_id, (b) => b.status === 'delivered');
    expect(done.status_history.slice(0, 2)).toMatchObject([
      { status: 'scheduled', source: 'api' },
      { status: 'queued', source: 'scheduler' },
    ]);
    expect(Date.parse(done.status_history[1].at) + offset).toBeGreaterThanOrEqual(Date.parse(sendAt));
    expect(await sandboxMessages(stack, { to })).toHaveLength(1);
  });

  it('cancels a scheduled message, which never reaches Twilio; cancel again is 409', async () => {
    const to = recipient('1234');
    const res = await post({ ...smsBody(s, to), send_at: new Date(clockNow() + 2000).toISOString() });
    const canceled = await s.account.api.post(`/v1/sms/${res.body.message_id}/cancel`, {});
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ message_id: res.body.message_id, status: 'canceled' });
    expect(canceled.body.status_history.map((h: any) => h.status)).toEqual(['scheduled', 'canceled']);

    await sleep(3500);
    expect((await s.account.api.get(`/v1/sms/${res.body.message_id}`)).body.status).toBe('canceled');
    expect(await sandboxMessages(stack, { to })).toHaveLength(0);
    const again = await s.account.api.post(`/v1/sms/${res.body.message_id}/cancel`, {});
    expect(again.status).toBe(409);
    expect(again.body.code ?? again.body.error?.code).toBe('sms_not_cancelable');
  });

  it('refuses to cancel a message already handed over (409) and an unknown one (404)', async () => {
    const res = await post(smsBody(s, recipient('1234')));
    expect(res.body.status).toBe('queued');
    const now = await s.account.api.post(`/v1/sms/${res.body.message_id}/cancel`, {});
    expect(now.status).toBe(409);
    expect(JSON.stringify(now.body)).toMatch(/sms_not_cancelable/);
    expect(JSON.stringify(now.body)).toMatch(/cannot be unsent/);
    await waitForSms(s, res.body.message_id, (b) => b.status === 'delivered');
    expect((await s.account.api.post(`/v1/sms/${res.body.message_id}/cancel`, {})).status).toBe(409);

    const unknown = await s.account.api.post('/v1/sms/msg_0000000000000000/cancel', {});
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(unknown.body)).toMatch(/message_not_found/);
    // Another account's message is unknown too.
    const other = await smsSender(stack);
    expect((await other.account.api.post(`/v1/sms/${quiet.id}/cancel`, {})).status).toBe(404);
  });

  it.each([
    ['in the past', () => new Date(clockNow() - 1000).toISOString()],
    ['more than 30 days ahead', () => new Date(clockNow() + 31 * 86_400_000).toISOString()],
    ['without an offset', () => '2026-12-11T10:00:00'],
    ['not a date', () => 'tomorrow at noon'],
  ])('refuses a send_at %s with 400 invalid_send_at', async (_, sendAt) => {
    const to = recipient('1234');
    const res = await post({ ...smsBody(s, to), send_at: sendAt() });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/invalid_send_at/);
  });

  it('the quiet-hours message went at 09:00 London, once', async () => {
    const done = await waitForSms(s, quiet.id, (b) => b.status === 'delivered', 80_000);
    const queued = done.status_history.find((h: any) => h.status === 'queued');
    expect(Date.parse(queued.at) + offset).toBeGreaterThanOrEqual(Date.parse('2026-12-11T09:00:00Z'));
    expect(await sandboxMessages(stack, { to: quiet.to })).toHaveLength(1);
  }, 90_000);
});
