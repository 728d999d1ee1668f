import twilio from 'twilio';
import { dialRetryDelayMs, loadDialSettings } from './dial.settings';
import { dialFailureOf } from './twilio-caller';

function rest(status: number, code: number | undefined, message = 'x') {
  return new twilio.RestException({
    statusCode: status,
    body: { code, message, more_info: '', status },
  } as any);
}

describe('dialFailureOf', () => {
  it('429/20429 is retried (the call was never placed)', () => {
    expect(dialFailureOf(rest(429, 20429)).kind).toBe('retry');
  });

  it('5xx is uncertain: ask Twilio before dialling again', () => {
    expect(dialFailureOf(rest(500, 20500)).kind).toBe('uncertain');
    expect(dialFailureOf(rest(503, 20503)).kind).toBe('uncertain');
  });

  it('the refusals worth naming get our words, with Twilio their code', () => {
    const named: [number, string][] = [
      [21215, 'Geo permission disabled for this country'],
      [21211, "Invalid 'To' number"],
      [21210, "'From' is not a number of this Twilio account"],
      [13227, 'No international permission'],
    ];
    for (const [code, message] of named) {
      expect(dialFailureOf(rest(400, code, 'twilio words'))).toEqual({
        kind: 'refused',
        code: String(code),
        message,
      });
    }
    expect(dialFailureOf(rest(401, 20003))).toEqual({
      kind: 'refused',
      code: '20003',
      message: 'Twilio credentials rejected',
    });
    // A 401 without a code is still the credentials.
    expect(dialFailureOf(rest(401, undefined))).toMatchObject({ kind: 'refused', code: '20003' });
  });

  it("any other refusal keeps Twilio's code and message", () => {
    expect(dialFailureOf(rest(400, 21205, 'Url parameter is required.'))).toEqual({
      kind: 'refused',
      code: '21205',
      message: 'Url parameter is required.',
    });
  });

  it('a connection never made is retried; a reset or timeout is uncertain', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(dialFailureOf(err('ECONNREFUSED')).kind).toBe('retry');
    expect(dialFailureOf(err('ECONNRESET')).kind).toBe('uncertain');
    expect(dialFailureOf(err('ECONNABORTED')).kind).toBe('uncertain');
    expect(dialFailureOf(new Error('socket hang up')).kind).toBe('uncertain');
  });
});

describe('dial settings', () => {
  it('defaults, and the Twilio timeout never above half the lease', () => {
    expect(loadDialSettings({})).toEqual({
      leaseMs: 30_000,
      twilioTimeoutMs: 10_000,
      pollMs: 1000,
      retryBaseMs: 1000,
      retryMaxMs: 60_000,
      maxAttempts: 10,
    });
    expect(loadDialSettings({ CALLS_DIAL_LEASE_MS: '4000' }).twilioTimeoutMs).toBe(2000);
  });

  it('every bad variable is reported at once', () => {
    expect(() => loadDialSettings({ CALLS_DIAL_POLL_MS: 'soon', CALLS_MAX_DIAL_ATTEMPTS: '0' })).toThrow(
      /CALLS_DIAL_POLL_MS[\s\S]*CALLS_MAX_DIAL_ATTEMPTS/,
    );
  });

  it('backoff doubles per attempt within [0.5, 1.5) of the step, capped', () => {
    const s = loadDialSettings({ CALLS_RETRY_BASE_MS: '100', CALLS_RETRY_MAX_MS: '300' });
    expect(dialRetryDelayMs(s, 1, () => 0)).toBe(50);
    expect(dialRetryDelayMs(s, 2, () => 0.5)).toBe(200);
    expect(dialRetryDelayMs(s, 9, () => 0.999)).toBe(Math.round(300 * 1.499));
  });
});
