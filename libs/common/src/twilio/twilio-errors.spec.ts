import twilio from 'twilio';
import { classifyTwilioError, describeTwilioFailure } from './twilio-errors';

function rest(status: number, code: number | undefined, message = 'x') {
  return new twilio.RestException({
    statusCode: status,
    body: { code, message, more_info: '', status },
  } as any);
}

function net(code: string, message = 'boom') {
  return Object.assign(new Error(message), { code });
}

describe('classifyTwilioError', () => {
  it('rejected credentials are auth_failed, by status or by code', () => {
    expect(classifyTwilioError(rest(401, 20003)).kind).toBe('auth_failed');
    expect(classifyTwilioError(rest(403, 20003)).kind).toBe('auth_failed');
    expect(classifyTwilioError(rest(401, undefined)).kind).toBe('auth_failed');
  });

  it('404 is not_found', () => {
    expect(classifyTwilioError(rest(404, 20404))).toMatchObject({
      kind: 'not_found',
      status: 404,
      twilioCode: 20404,
      reached: true,
    });
  });

  it('429 and 20429 are rate_limited', () => {
    expect(classifyTwilioError(rest(429, 20429)).kind).toBe('rate_limited');
    expect(classifyTwilioError(rest(429, undefined)).kind).toBe('rate_limited');
  });

  it('5xx is unavailable and may have been acted on', () => {
    expect(classifyTwilioError(rest(500, 20500))).toMatchObject({ kind: 'unavailable', reached: true });
    expect(classifyTwilioError(rest(503, 20503))).toMatchObject({ kind: 'unavailable', reached: true });
  });

  it('any other answer is a refusal with its Twilio code and message', () => {
    expect(classifyTwilioError(rest(400, 21610, 'unsubscribed'))).toEqual({
      kind: 'refused',
      status: 400,
      twilioCode: 21610,
      networkCode: null,
      reached: true,
      message: 'unsubscribed',
    });
  });

  it('a connection never made did not reach Twilio; a reset or timeout may have', () => {
    expect(classifyTwilioError(net('ECONNREFUSED'))).toMatchObject({
      kind: 'unavailable',
      status: null,
      networkCode: 'ECONNREFUSED',
      reached: false,
    });
    expect(classifyTwilioError(net('ENOTFOUND')).reached).toBe(false);
    expect(classifyTwilioError(net('ECONNRESET')).reached).toBe(true);
    expect(classifyTwilioError(net('ECONNABORTED')).reached).toBe(true);
    expect(classifyTwilioError(new Error('socket hang up'))).toMatchObject({
      kind: 'unavailable',
      networkCode: null,
      reached: true,
    });
    expect(classifyTwilioError(undefined).kind).toBe('unavailable');
  });

  it('keeps only status, codes and message: never the request', () => {
    const err = Object.assign(rest(400, 21211, 'bad To'), {
      config: { headers: { Authorization: 'Basic c2VjcmV0' } },
    });
    const f = classifyTwilioError(err);
    expect(JSON.stringify(f)).not.toContain('Basic');
    expect(describeTwilioFailure(f)).toBe('Twilio 400/21211: bad To');
    expect(describeTwilioFailure(classifyTwilioError(net('ECONNRESET', 'reset')))).toBe('ECONNRESET: reset');
  });
});
