import twilio from 'twilio';
import { ukMobile } from '../factories/sms';
import { VoiceLine, callSid, voiceLine } from '../factories/voice';
import { ApiResponse, http } from '../harness/api';
import { Stack } from '../harness/stack';

/**
 * The guard in front of the voice routes: the signature covers the full
 * public URL, query string included (outbound calls' `?call_id=`), and call
 * callbacks find our number by `Direction` (`To` inbound, `From` outbound).
 * Every refusal is the same 403 as for SMS.
 */
describe('Twilio webhook guard on voice routes', () => {
  let stack: Stack;
  let line: VoiceLine;

  beforeAll(async () => {
    stack = await Stack.start();
    line = await voiceLine(stack);
  }, 60_000);
  afterAll(() => stack?.stop());

  const publicUrl = (pathAndQuery: string) => `${stack.env.PUBLIC_WEBHOOK_BASE_URL}${pathAndQuery}`;
  const sign = (pathAndQuery: string, params: Record<string, string>, token = line.twilio.auth_token) =>
    twilio.getExpectedTwilioSignature(token, publicUrl(pathAndQuery), params);

  function post(
    pathAndQuery: string,
    params: Record<string, string>,
    signature: string,
  ): Promise<ApiResponse> {
    return http('POST', `${stack.webhooksUrl}${pathAndQuery}`, {
      raw: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    });
  }

  const status = (direction: string, extra: Record<string, string> = {}) => {
    const inbound = direction === 'inbound';
    return {
      AccountSid: line.twilio.account_sid,
      CallSid: callSid(),
      CallStatus: 'ringing',
      Direction: direction,
      From: inbound ? ukMobile() : line.phone,
      To: inbound ? line.phone : ukMobile(),
      SequenceNumber: '0',
      ...extra,
    };
  };

  function expectRefused(responses: ApiResponse[]): void {
    for (const r of responses) {
      expect({ status: r.status, body: r.body }).toEqual({
        status: 403,
        body: { error: { code: 'invalid_signature', message: 'X-Twilio-Signature is missing or invalid' } },
      });
    }
  }

  it('finds our number by Direction: To for inbound calls, From for the calls we placed', async () => {
    const path = '/twilio/voice-status';
    const inbound = status('inbound');
    const outbound = status('outbound-api');
    const dial = status('outbound-dial');
    for (const params of [inbound, outbound, dial]) {
      const res = await post(path, params, sign(path, params));
      expect(res.status).toBe(200);
      expect(res.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    }
    // Our number on the wrong side for the Direction, or a Direction Twilio does not send.
    const swapped = { ...inbound, Direction: 'outbound-api' };
    const reversed = { ...outbound, Direction: 'inbound' };
    const strange = { ...inbound, Direction: 'sideways' };
    const none: Record<string, string> = { ...inbound };
    delete none.Direction;
    expectRefused(
      await Promise.all([swapped, reversed, strange, none].map((p) => post(path, p, sign(path, p)))),
    );
  });

  it('signs the query string: ?call_id= is part of what Twilio signed', async () => {
    const withQuery = '/twilio/voice-status?call_id=call_0123456789abcdef';
    const params = status('outbound-api');
    expect((await post(withQuery, params, sign(withQuery, params))).status).toBe(200);
    expectRefused([
      await post(withQuery, params, sign('/twilio/voice-status', params)),
      await post(withQuery, params, sign('/twilio/voice-status?call_id=call_fedcba9876543210', params)),
      await post(withQuery, params, sign(withQuery, params, 'another-token')),
    ]);
  });

  it('answers the relay end with a hang-up, and an outbound call voice does not know with the apology', async () => {
    const ended = { ...status('inbound'), SessionStatus: 'completed', SessionDuration: '3' };
    const relayEnded = '/twilio/voice/relay-ended';
    const res = await post(relayEnded, ended, sign(relayEnded, ended));
    expect(res.status).toBe(200);
    expect(res.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>');
    expectRefused([await post(relayEnded, ended, sign(relayEnded, ended, 'another-token'))]);

    // A broken session (the voice process died mid-call) leaves the caller a spoken apology, not silence.
    const broken = { ...ended, SessionStatus: 'failed' };
    const lost = await post(relayEnded, broken, sign(relayEnded, broken));
    expect(lost.status).toBe(200);
    expect(lost.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry, we\'ve lost the connection on our side. ' +
        'Please call back in a moment. Goodbye.</Say><Hangup/></Response>',
    );

    const outbound = '/twilio/voice/outbound?call_id=call_0123456789abcdef';
    const answered = { ...status('outbound-api'), CallStatus: 'in-progress' };
    const apology = await post(outbound, answered, sign(outbound, answered));
    expect(apology.status).toBe(200);
    expect(apology.body).toContain("<Say>Sorry, we can't take your call right now.");
    expect(apology.body).toContain('<Hangup/>');
    // Our number on an outbound call is From: the same request with it as To is refused.
    const wrongSide = { ...answered, From: answered.To, To: answered.From };
    expectRefused([await post(outbound, wrongSide, sign(outbound, wrongSide))]);
  });
});
