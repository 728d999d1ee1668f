import twilio from 'twilio';
import { sendFailureOf } from './twilio-sender';

function rest(status: number, code: number, message = 'x') {
  return new twilio.RestException({
    statusCode: status,
    body: { code, message, more_info: '', status },
  } as any);
}

describe('sendFailureOf', () => {
  it('429/20429 is retried (never processed)', () => {
    expect(sendFailureOf(rest(429, 20429)).kind).toBe('retry');
  });

  it('5xx is uncertain: reconcile before resending', () => {
    expect(sendFailureOf(rest(500, 20500)).kind).toBe('uncertain');
    expect(sendFailureOf(rest(503, 20503)).kind).toBe('uncertain');
  });

  it("other 4xx are Twilio's refusals, with their code", () => {
    expect(sendFailureOf(rest(400, 21610, 'unsubscribed'))).toEqual({
      kind: 'refused',
      code: '21610',
      message: 'unsubscribed',
    });
    expect(sendFailureOf(rest(401, 20003))).toMatchObject({ kind: 'refused', code: '20003' });
    expect(sendFailureOf(rest(404, 20404))).toMatchObject({ kind: 'refused', code: '20404' });
  });

  it('a connection never made is retried; a reset or timeout is uncertain', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(sendFailureOf(err('ECONNREFUSED')).kind).toBe('retry');
    expect(sendFailureOf(err('ECONNRESET')).kind).toBe('uncertain');
    expect(sendFailureOf(err('ECONNABORTED')).kind).toBe('uncertain');
    expect(sendFailureOf(new Error('socket hang up')).kind).toBe('uncertain');
  });
});
