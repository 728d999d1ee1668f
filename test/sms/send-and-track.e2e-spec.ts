import { createAccount } from '../factories/accounts';
import { SmsSender, recipient, sandboxMessages, send, smsSender, waitForSms } from '../factories/sms';
import { Stack } from '../harness/stack';

describe('SMS: send and track through the gateway', () => {
  let stack: Stack;
  let s: SmsSender;

  beforeAll(async () => {
    stack = await Stack.start({
      env: { SMS_SENT_SOFT_FAILURE_AFTER_MS: '1500', SMS_DISPATCH_POLL_MS: '200' },
    });
    s = await smsSender(stack);
  }, 60_000);
  afterAll(() => stack?.stop());

  it('accepts with 202 queued, segments, encoding and cost, then reaches delivered with every step kept', async () => {
    const to = recipient('1234');
    const res = await send(s, to, 'Reminder: your appointment is tomorrow at 2pm.');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'queued',
      to,
      from_number: s.from_number,
      agent_id: s.agent_id,
      segments: 1,
      encoding: 'GSM-7',
      estimated_cost: { amount: 0.04, currency: 'GBP', per_segment: 0.04 },
    });
    expect(res.body.message_id).toMatch(/^msg_[0-9a-f]{16}$/);
    expect(res.body.warnings).toBeUndefined();

    const done = await waitForSms(s, res.body.message_id, (b) => b.status === 'delivered');
    expect(done.twilio_sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(done.error_code).toBeNull();
    expect(done.soft_failure).toBe(false);
    // Callbacks are applied as they are consumed (concurrently): a step overtaken by a
    // later one is recorded as received but not applied, so the history is an
    // in-order subsequence of Twilio's steps.
    const statuses = done.status_history.map((h: any) => h.status);
    expect([
      'queued,sending,sent,delivered',
      'queued,sent,delivered',
      'queued,sending,delivered',
      'queued,delivered',
    ]).toContain(statuses.join(','));
    const received = await stack.sql(
      `SELECT status FROM messaging.status_callbacks WHERE twilio_sid = $1 ORDER BY id`,
      [done.twilio_sid],
    );
    expect(received.map((r) => r.status).sort()).toEqual(['delivered', 'sending', 'sent']);
    for (const h of done.status_history) expect(Number.isNaN(Date.parse(h.at))).toBe(false);

    const atTwilio = await sandboxMessages(stack, { to });
    expect(atTwilio).toHaveLength(1);
    expect(atTwilio[0]).toMatchObject({ sid: done.twilio_sid, from: s.from_number, status: 'delivered' });

    // The Twilio SID finds the same message.
    const bySid = await s.account.api.get(`/v1/sms/${done.twilio_sid}`);
    expect(bySid.status).toBe(200);
    expect(bySid.body.message_id).toBe(res.body.message_id);
  });

  it('ends undelivered with Twilio error 30003 and its meaning', async () => {
    const res = await send(s, recipient('0003'));
    expect(res.status).toBe(202);
    const done = await waitForSms(s, res.body.message_id, (b) => b.status === 'undelivered');
    expect(done.error_code).toBe('30003');
    expect(done.error_message).toMatch(/Unreachable destination handset/);
    expect(done.status_history.at(-1)).toMatchObject({
      status: 'undelivered',
      error_code: '30003',
      source: 'twilio_callback',
    });
  });

  it('ends failed with 21610 when Twilio refuses the create (recipient unsubscribed)', async () => {
    const to = recipient('1610');
    const res = await send(s, to);
    expect(res.status).toBe(202);
    const done = await waitForSms(s, res.body.message_id, (b) => b.status === 'failed');
    expect(done.error_code).toBe('21610');
    expect(done.error_message).toMatch(/unsubscribed/i);
    expect(done.twilio_sid).toBeNull();
    expect(await sandboxMessages(stack, { to })).toHaveLength(0);
  });

  it('flags a message resting in sent past the threshold as a soft failure', async () => {
    const res = await send(s, recipient('0404'));
    const done = await waitForSms(s, res.body.message_id, (b) => b.soft_failure === true);
    expect(done.status).toBe('sent');
    expect(done.soft_failure_at).toEqual(expect.any(String));
  });

  it('counts UCS-2 segments and warns past 600 characters', async () => {
    const unicode = await send(s, recipient(), 'Ünïcödé ✓ '.repeat(8));
    expect(unicode.status).toBe(202);
    expect(unicode.body).toMatchObject({ encoding: 'UCS-2', segments: 2 });

    const long = await send(s, recipient(), 'x'.repeat(601));
    expect(long.status).toBe(202);
    expect(long.body.segments).toBe(4);
    expect(long.body.estimated_cost.amount).toBeCloseTo(0.16);
    expect(long.body.warnings).toEqual([
      expect.objectContaining({ code: 'long_message_deliverability', message: expect.stringMatching(/600/) }),
    ]);
  });

  it('returns the conversation with that recipient from this message on', async () => {
    const to = recipient();
    const first = await send(s, to, 'first');
    const second = await send(s, to, 'second');
    await send(s, recipient(), 'someone else');
    const detail = await waitForSms(s, first.body.message_id, (b) => b.conversation.length === 2);
    expect(detail.conversation.map((m: any) => m.message)).toEqual(['first', 'second']);
    const later = await s.account.api.get(`/v1/sms/${second.body.message_id}`);
    expect(later.body.conversation.map((m: any) => m.message)).toEqual(['second']);
  });

  it('lists with filters and cursor pagination, newest first', async () => {
    const to = recipient();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await send(s, to, `page ${i}`)).body.message_id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await s.account.api.get(
        `/v1/sms?to=${encodeURIComponent(to)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((m: any) => m.message_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const byAgent = await s.account.api.get(
      `/v1/sms?agent_id=${s.agent_id}&from_number=${encodeURIComponent(s.from_number)}&limit=200`,
    );
    expect(byAgent.body.data.length).toBeGreaterThanOrEqual(5);
    const failed = await s.account.api.get('/v1/sms?status=failed');
    expect(failed.body.data.every((m: any) => m.status === 'failed')).toBe(true);
    expect(failed.body.data.length).toBeGreaterThanOrEqual(1);
    expect((await s.account.api.get('/v1/sms?status=bogus')).status).toBe(400);
    expect((await s.account.api.get('/v1/sms?cursor=nope')).body.error.code).toBe('invalid_cursor');
  });

  it("hides another account's messages (404) and lists none of them", async () => {
    const res = await send(s, recipient());
    const done = await waitForSms(s, res.body.message_id, (b) => b.twilio_sid !== null);
    const other = await createAccount(stack, 'Other');
    for (const id of [res.body.message_id, done.twilio_sid]) {
      const r = await other.api.get(`/v1/sms/${id}`);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('message_not_found');
    }
    const list = await other.api.get('/v1/sms');
    expect(list.body.data).toEqual([]);
    // Nor can it send from this account's number.
    const sendAs = await other.api.post('/v1/sms', {
      agent_id: s.agent_id,
      from_number: s.from_number,
      to: recipient(),
      message: 'hi',
    });
    expect(sendAs.status).toBe(404);
    expect(sendAs.body.error.code).toBe('number_not_found');
  });
});
