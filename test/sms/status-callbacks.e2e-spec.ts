import twilio from 'twilio';
import { http } from '../harness/api';
import {
  FINAL,
  SmsSender,
  clearFaults,
  recipient,
  sandboxFaults,
  sandboxMessages,
  send,
  smsSender,
  waitForSms,
} from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';

const RANK: Record<string, number> = {
  queued: 10,
  sending: 20,
  sent: 30,
  delivered: 50,
  undelivered: 50,
  failed: 50,
};

describe('SMS: Twilio status callbacks', () => {
  let stack: Stack;
  let s: SmsSender;

  beforeAll(async () => {
    stack = await Stack.start();
    s = await smsSender(stack);
  }, 60_000);
  afterAll(() => stack?.stop());
  afterEach(() => clearFaults(stack));

  const callbackUrl = () => `${stack.env.PUBLIC_WEBHOOK_BASE_URL}/twilio/sms-status`;

  function postCallback(params: Record<string, string>, signature?: string) {
    return http('POST', `${stack.webhooksUrl}/twilio/sms-status`, {
      raw: new URLSearchParams(params).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(signature ? { 'x-twilio-signature': signature } : {}),
      },
    });
  }

  function callbackFor(msg: any, status: string, extra: Record<string, string> = {}) {
    return {
      AccountSid: s.twilio.account_sid,
      ApiVersion: '2010-04-01',
      From: s.from_number,
      MessageSid: msg.twilio_sid,
      MessageStatus: status,
      SmsSid: msg.twilio_sid,
      SmsStatus: status,
      To: msg.to,
      ...extra,
    };
  }

  it('converges to the right final status when callbacks are shuffled and duplicated', async () => {
    await sandboxFaults(stack, { callbacks: { shuffle: true, duplicate: true, delay_ms: 2 } });
    const expected: Record<string, { status: string; code: string | null }> = {
      '1234': { status: 'delivered', code: null },
      '0003': { status: 'undelivered', code: '30003' },
      '0005': { status: 'undelivered', code: '30005' },
      '0006': { status: 'failed', code: '30006' },
      '0007': { status: 'undelivered', code: '30007' },
      '0008': { status: 'failed', code: '30008' },
    };
    const sent: { id: string; rule: string; to: string }[] = [];
    for (let round = 0; round < 4; round++) {
      for (const rule of Object.keys(expected)) {
        const to = recipient(rule);
        const res = await send(s, to);
        expect(res.status).toBe(202);
        sent.push({ id: res.body.message_id, rule, to });
      }
    }
    // Wait until the sandbox delivered every callback (each one twice).
    await waitFor(
      'all callbacks delivered',
      async () => {
        const all = await Promise.all(sent.map((m) => sandboxMessages(stack, { to: m.to })));
        return all.every(
          (l) => l.length === 1 && l[0].callbacks.filter((c) => c.http_status === 200).length === 6,
        );
      },
      30_000,
      200,
    );
    for (const m of sent) {
      // A failure callback overtaken by the message's progress can lack its ErrorCode;
      // messaging then asks Twilio for it, so the code may land a moment later.
      const want = expected[m.rule];
      const done = await waitForSms(
        s,
        m.id,
        (b) => FINAL.includes(b.status) && (want.code === null || b.error_code !== null),
      );
      expect({ rule: m.rule, status: done.status, code: done.error_code }).toEqual({
        rule: m.rule,
        ...expected[m.rule],
      });
      expect(done.status_history.at(-1)).toMatchObject({ status: want.status, error_code: want.code });
      const ranks = done.status_history.map((h: any) => RANK[h.status]);
      expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
      expect(new Set(ranks).size).toBe(ranks.length);
    }
  });

  it('a message that stops at sent stays sent, whatever the order', async () => {
    await sandboxFaults(stack, { callbacks: { shuffle: true, duplicate: true, delay_ms: 2 } });
    const to = recipient('0404');
    const res = await send(s, to);
    await waitFor('callbacks', async () => {
      const [m] = await sandboxMessages(stack, { to });
      return m && m.callbacks.filter((c) => c.http_status === 200).length === 4;
    });
    const done = await waitForSms(s, res.body.message_id, (b) => b.status === 'sent');
    const statuses = done.status_history.map((h: any) => h.status);
    expect(statuses[0]).toBe('queued');
    expect(['queued,sent', 'queued,sending,sent']).toContain(statuses.join(','));
    expect(done.status_history.at(-1).status).toBe('sent');
  });

  it('a forged or unsigned callback is 403 and changes nothing', async () => {
    const res = await send(s, recipient());
    const done = await waitForSms(s, res.body.message_id, (b) => b.status === 'delivered');
    const historyBefore = done.status_history.length;
    const params = callbackFor(done, 'failed', { ErrorCode: '30008' });

    const forged = twilio.getExpectedTwilioSignature('0'.repeat(32), callbackUrl(), params);
    const r1 = await postCallback(params, forged);
    expect(r1.status).toBe(403);
    expect(r1.body.error.code).toBe('invalid_signature');

    const r2 = await postCallback(params);
    expect(r2.status).toBe(403);

    // Signed for another URL (replayed elsewhere): also refused.
    const wrongUrl = twilio.getExpectedTwilioSignature(s.twilio.auth_token, `${callbackUrl()}?x=1`, params);
    expect((await postCallback(params, wrongUrl)).status).toBe(403);

    // Tampered after signing.
    const good = twilio.getExpectedTwilioSignature(
      s.twilio.auth_token,
      callbackUrl(),
      callbackFor(done, 'sent'),
    );
    expect((await postCallback(params, good)).status).toBe(403);

    // From a number nobody imported.
    const stranger = { ...params, From: '+447700900999' };
    const sig = twilio.getExpectedTwilioSignature(s.twilio.auth_token, callbackUrl(), stranger);
    expect((await postCallback(stranger, sig)).status).toBe(403);

    const after = await s.account.api.get(`/v1/sms/${res.body.message_id}`);
    expect(after.body.status).toBe('delivered');
    expect(after.body.error_code).toBeNull();
    expect(after.body.status_history).toHaveLength(historyBefore);
  });

  it('a correctly signed late or duplicate callback is accepted (200 TwiML) and changes nothing', async () => {
    const res = await send(s, recipient('0003'));
    const done = await waitForSms(s, res.body.message_id, (b) => b.status === 'undelivered');
    for (const status of ['sending', 'sent', 'delivered', 'undelivered']) {
      const params = callbackFor(done, status, status === 'undelivered' ? { ErrorCode: '30003' } : {});
      const sig = twilio.getExpectedTwilioSignature(s.twilio.auth_token, callbackUrl(), params);
      const r = await postCallback(params, sig);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/xml/);
      expect(r.body).toContain('<Response/>');
    }
    await waitFor('callbacks recorded', async () => {
      const rows = await stack.sql(
        `SELECT count(*)::int AS n FROM messaging.status_callbacks WHERE twilio_sid = $1 AND applied_at IS NOT NULL`,
        [done.twilio_sid],
      );
      return rows[0].n >= 7;
    });
    const after = await s.account.api.get(`/v1/sms/${res.body.message_id}`);
    expect(after.body.status).toBe('undelivered');
    expect(after.body.error_code).toBe('30003');
    expect(after.body.status_history).toEqual(done.status_history);
  });

  it('callbacks held and released late still land', async () => {
    await sandboxFaults(stack, { callbacks: { hold: true } });
    const to = recipient();
    const res = await send(s, to);
    await waitForSms(s, res.body.message_id, (b) => b.twilio_sid !== null);
    await sandboxFaults(stack, { callbacks: { hold: false } });
    await http('POST', `${stack.sandboxUrl}/__admin/callbacks/release`);
    const done = await waitForSms(s, res.body.message_id, (b) => b.status === 'delivered');
    // Consumed concurrently, `delivered` may be applied before `sent`, which is then dropped.
    const statuses = done.status_history.map((h: any) => h.status);
    expect(statuses[0]).toBe('queued');
    expect(statuses.at(-1)).toBe('delivered');
    const ranks = statuses.map((st: string) => RANK[st]);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
  });

  it('records each callback with its outcome; a 21610 failure announced by callback records the opt-out', async () => {
    await sandboxFaults(stack, { callbacks: { hold: true } });
    const to = recipient();
    const res = await send(s, to);
    const queued = await waitForSms(s, res.body.message_id, (b) => b.twilio_sid !== null);
    const outcomes = async () =>
      (
        await stack.sql(
          `SELECT status, error_code, outcome FROM messaging.status_callbacks WHERE twilio_sid = $1 ORDER BY id`,
          [queued.twilio_sid],
        )
      ).map((r: any) => `${r.status}/${r.error_code ?? '-'}/${r.outcome}`);
    // One at a time, so that each outcome is decided against the previous one.
    const steps: Array<[string, Record<string, string>]> = [
      ['sent', {}],
      ['no-such-status', {}],
      ['sent', {}],
      ['failed', { ErrorCode: '21610' }],
      ['delivered', {}],
    ];
    for (const [i, [status, extra]] of steps.entries()) {
      const params = callbackFor(queued, status, extra);
      const sig = twilio.getExpectedTwilioSignature(s.twilio.auth_token, callbackUrl(), params);
      expect((await postCallback(params, sig)).status).toBe(200);
      await waitFor(`callback ${i + 1} recorded`, async () => (await outcomes()).length > i);
    }
    expect(await outcomes()).toEqual([
      'sent/-/applied',
      'no-such-status/-/unknown_status',
      'sent/-/ignored',
      'failed/21610/applied',
      'delivered/-/ignored',
    ]);
    const done = (await s.account.api.get(`/v1/sms/${res.body.message_id}`)).body;
    expect(done).toMatchObject({ status: 'failed', error_code: '21610' });
    expect(done.error_message).toMatch(/unsubscribed/i);
    expect(done.status_history.map((h: any) => `${h.status}/${h.error_code ?? '-'}`)).toEqual([
      'queued/-',
      'sent/-',
      'failed/21610',
    ]);
    // The status event (built by the callback's statement) carries what the opt-out needs.
    const optOut = await waitFor('21610 opt-out', async () => {
      const list = await s.account.api.get('/v1/opt-outs');
      return list.body.data.find((o: any) => o.recipient === to);
    });
    expect(optOut).toMatchObject({ phone_number: s.from_number, source: 'twilio_21610' });
  });
});
