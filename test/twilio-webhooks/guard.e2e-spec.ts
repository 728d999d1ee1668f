import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { waitForInbound } from '../factories/inbound';
import { SmsSender, recipient, sandboxAdmin, send, smsSender, waitForSms } from '../factories/sms';
import { ApiResponse, http } from '../harness/api';
import { Stack } from '../harness/stack';

/**
 * The one guard in front of every Twilio route: a request passes only when it
 * is signed with the auth token of a number we hold, for that number's Twilio
 * account, over the public URL. Every refusal is the same 403 with the same
 * body, whatever the reason, so an outsider cannot find out which numbers are
 * imported; a refused request stores and publishes nothing.
 */
describe('Twilio webhook guard', () => {
  let stack: Stack;
  let s: SmsSender;
  let other: { account_sid: string; auth_token: string };

  beforeAll(async () => {
    stack = await Stack.start();
    s = await smsSender(stack);
    other = await sandboxAdmin(stack, 'POST', '/accounts', {});
  }, 60_000);
  afterAll(() => stack?.stop());

  const publicUrl = (path: string) => `${stack.env.PUBLIC_WEBHOOK_BASE_URL}${path}`;
  const sign = (token: string, path: string, params: Record<string, string>) =>
    twilio.getExpectedTwilioSignature(token, publicUrl(path), params);
  const sid = () => `SM${randomBytes(16).toString('hex')}`;
  const UNKNOWN = '+447700900999';

  function post(path: string, params: Record<string, string>, signature?: string): Promise<ApiResponse> {
    return http('POST', `${stack.webhooksUrl}${path}`, {
      raw: new URLSearchParams(params).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(signature !== undefined ? { 'x-twilio-signature': signature } : {}),
      },
    });
  }

  /** Every refusal: identical status, body and content type. */
  function expectSameRefusals(responses: ApiResponse[]): void {
    const seen = responses.map((r) => ({
      status: r.status,
      body: r.body,
      type: r.headers.get('content-type'),
    }));
    for (const r of seen) {
      expect(r).toEqual({
        status: 403,
        body: { error: { code: 'invalid_signature', message: 'X-Twilio-Signature is missing or invalid' } },
        type: seen[0].type,
      });
    }
  }

  async function storedSids(sids: string[]): Promise<string[]> {
    const rows = await stack.sql<{ twilio_sid: string }>(
      `SELECT twilio_sid FROM messaging.messages WHERE twilio_sid = ANY($1)`,
      [sids],
    );
    return rows.map((r) => r.twilio_sid);
  }

  describe('POST /twilio/sms (our number is To)', () => {
    const inbound = (to: string, extra: Record<string, string> = {}) => ({
      AccountSid: s.twilio.account_sid,
      ApiVersion: '2010-04-01',
      Body: 'hello',
      From: recipient(),
      MessageSid: sid(),
      NumMedia: '0',
      To: to,
      ...extra,
    });

    it('refuses unsigned, badly signed, unknown-number and wrong-AccountSid requests alike and stores nothing', async () => {
      const unsigned = inbound(s.from_number);
      const forged = inbound(s.from_number);
      const emptySig = inbound(s.from_number);
      const otherUrl = inbound(s.from_number);
      const tampered = inbound(s.from_number);
      const unknownUnsigned = inbound(UNKNOWN);
      const unknownSigned = inbound(UNKNOWN);
      const notAPhone = inbound('not-a-number');
      const noTo = inbound(s.from_number);
      delete (noTo as Record<string, string>).To;
      const wrongAccount = inbound(s.from_number, { AccountSid: other.account_sid });
      const otherToken = inbound(s.from_number);

      const responses = [
        await post('/twilio/sms', unsigned),
        await post('/twilio/sms', forged, sign('0'.repeat(32), '/twilio/sms', forged)),
        await post('/twilio/sms', emptySig, ''),
        await post('/twilio/sms', otherUrl, sign(s.twilio.auth_token, '/twilio/sms-status', otherUrl)),
        await post(
          '/twilio/sms',
          { ...tampered, Body: 'changed' },
          sign(s.twilio.auth_token, '/twilio/sms', tampered),
        ),
        await post('/twilio/sms', unknownUnsigned),
        await post('/twilio/sms', unknownSigned, sign(s.twilio.auth_token, '/twilio/sms', unknownSigned)),
        await post('/twilio/sms', notAPhone, sign(s.twilio.auth_token, '/twilio/sms', notAPhone)),
        await post('/twilio/sms', noTo, sign(s.twilio.auth_token, '/twilio/sms', noTo)),
        // Correctly signed with the number's token, but claiming another Twilio account.
        await post('/twilio/sms', wrongAccount, sign(s.twilio.auth_token, '/twilio/sms', wrongAccount)),
        // Signed by another Twilio account (its own valid token) for our number.
        await post('/twilio/sms', otherToken, sign(other.auth_token, '/twilio/sms', otherToken)),
      ];
      expectSameRefusals(responses);

      // A good request sent after them is stored; the refused ones never are.
      const good = inbound(s.from_number);
      const ok = await post('/twilio/sms', good, sign(s.twilio.auth_token, '/twilio/sms', good));
      expect(ok.status).toBe(200);
      await waitForInbound(stack, s, good.MessageSid);
      const refused = [unsigned, forged, emptySig, otherUrl, tampered, unknownUnsigned, unknownSigned]
        .concat([notAPhone, noTo, wrongAccount, otherToken])
        .map((p) => p.MessageSid);
      expect(await storedSids(refused)).toEqual([]);
      const unknownRows = await stack.sql(`SELECT id FROM messaging.messages WHERE to_number = $1`, [
        UNKNOWN,
      ]);
      expect(unknownRows).toHaveLength(0);
    });

    it('answers a good signed request as before: 200, empty TwiML as text/xml, the message stored', async () => {
      const params = inbound(s.from_number);
      const res = await post('/twilio/sms', params, sign(s.twilio.auth_token, '/twilio/sms', params));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/xml; charset=utf-8');
      expect(res.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
      const stored = await waitForInbound(stack, s, params.MessageSid);
      expect(stored).toMatchObject({ direction: 'inbound', from_number: params.From, to: s.from_number });
    });

    it('a signed request without AccountSid is accepted (the signature covers the parameters)', async () => {
      const params = inbound(s.from_number);
      delete (params as Record<string, string>).AccountSid;
      const res = await post('/twilio/sms', params, sign(s.twilio.auth_token, '/twilio/sms', params));
      expect(res.status).toBe(200);
      await waitForInbound(stack, s, params.MessageSid);
    });

    it('a signed request missing MessageSid passes the guard and is still 400 validation_failed', async () => {
      const params = inbound(s.from_number);
      delete (params as Record<string, string>).MessageSid;
      const res = await post('/twilio/sms', params, sign(s.twilio.auth_token, '/twilio/sms', params));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    });
  });

  describe('POST /twilio/sms-status (our number is From)', () => {
    it('refuses every bad callback with the same 403 as /twilio/sms and changes nothing', async () => {
      const sent = await send(s, recipient());
      const done = await waitForSms(s, sent.body.message_id, (b) => b.status === 'delivered');
      const callback = (extra: Record<string, string> = {}) => ({
        AccountSid: s.twilio.account_sid,
        ApiVersion: '2010-04-01',
        ErrorCode: '30008',
        From: s.from_number,
        MessageSid: done.twilio_sid,
        MessageStatus: 'failed',
        SmsSid: done.twilio_sid,
        SmsStatus: 'failed',
        To: done.to,
        ...extra,
      });
      const path = '/twilio/sms-status';
      const p = callback();
      const unknown = callback({ From: UNKNOWN });
      const wrongAccount = callback({ AccountSid: other.account_sid });
      const responses = [
        await post(path, p),
        await post(path, p, sign('0'.repeat(32), path, p)),
        await post(path, p, sign(s.twilio.auth_token, '/twilio/sms', p)),
        await post(path, unknown),
        await post(path, unknown, sign(s.twilio.auth_token, path, unknown)),
        await post(path, wrongAccount, sign(s.twilio.auth_token, path, wrongAccount)),
        await post(path, p, sign(other.auth_token, path, p)),
      ];
      // And the same refusal as the inbound route gives.
      responses.push(await post('/twilio/sms', { To: UNKNOWN, From: recipient(), MessageSid: sid() }));
      expectSameRefusals(responses);

      await new Promise((r) => setTimeout(r, 1500));
      const after = await s.account.api.get(`/v1/sms/${sent.body.message_id}`);
      expect(after.body.status).toBe('delivered');
      expect(after.body.error_code).toBeNull();
      expect(after.body.status_history).toHaveLength(done.status_history.length);
      const rows = await stack.sql<{ status: string }>(
        `SELECT status FROM messaging.messages WHERE twilio_sid = $1`,
        [done.twilio_sid],
      );
      expect(rows).toEqual([{ status: 'delivered' }]);
    });

    it('applies a good signed callback: 200 empty TwiML, the status recorded', async () => {
      // Rule 0404: the sandbox stops at `sent`, so only our callback can deliver it.
      const sent = await send(s, recipient('0404'));
      const msg = await waitForSms(s, sent.body.message_id, (b) => b.status === 'sent');
      const path = '/twilio/sms-status';
      const params = {
        AccountSid: s.twilio.account_sid,
        From: s.from_number,
        MessageSid: msg.twilio_sid,
        MessageStatus: 'delivered',
        To: msg.to,
      };
      const res = await post(path, params, sign(s.twilio.auth_token, path, params));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/xml; charset=utf-8');
      expect(res.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
      const delivered = await waitForSms(s, sent.body.message_id, (b) => b.status === 'delivered');
      expect(delivered.status).toBe('delivered');
    });
  });
});
