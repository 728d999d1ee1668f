import { COUNTRY_ZONES, isAllowed, nextAllowed, zonesOf } from './quiet-hours';

const at = (iso: string) => new Date(iso);

describe('quiet hours', () => {
  it('finds the zones of a number by its country', () => {
    expect(zonesOf('+447700900123')).toEqual({ country: 'GB', zones: ['Europe/London'] });
    expect(zonesOf('+12125550123').country).toBe('US');
    expect(zonesOf('+12125550123').zones).toContain('Pacific/Honolulu');
    expect(zonesOf('+8613800138000')).toEqual({ country: 'CN', zones: undefined });
  });

  it('lets a message go from 09:00 to 20:59 local time only', () => {
    const london = ['Europe/London'];
    expect(isAllowed(at('2026-01-15T08:59:59Z'), london)).toBe(false);
    expect(isAllowed(at('2026-01-15T09:00:00Z'), london)).toBe(true);
    expect(isAllowed(at('2026-01-15T20:59:59Z'), london)).toBe(true);
    expect(isAllowed(at('2026-01-15T21:00:00Z'), london)).toBe(false);
    // Summer time: 09:00 in London is 08:00 UTC.
    expect(isAllowed(at('2026-07-15T08:00:00Z'), london)).toBe(true);
  });

  it('defers a message sent at 22:00 London to 09:00 London the next day', () => {
    expect(nextAllowed(at('2026-01-15T22:00:00Z'), ['Europe/London']).toISOString()).toBe(
      '2026-01-16T09:00:00.000Z',
    );
    expect(nextAllowed(at('2026-07-15T21:00:00Z'), ['Europe/London']).toISOString()).toBe(
      '2026-07-16T08:00:00.000Z',
    );
    // Early morning: the same day's 09:00.
    expect(nextAllowed(at('2026-01-16T03:00:00Z'), ['Europe/London']).toISOString()).toBe(
      '2026-01-16T09:00:00.000Z',
    );
  });

  it('leaves an allowed instant alone', () => {
    const t = at('2026-01-15T12:34:56.789Z');
    expect(nextAllowed(t, ['Europe/London'])).toBe(t);
  });

  it('crosses daylight-saving changes at the local 09:00', () => {
    // London: clocks go forward on 29 March 2026 (01:00 UTC); 09:00 BST is 08:00 UTC.
    expect(nextAllowed(at('2026-03-28T22:00:00Z'), ['Europe/London']).toISOString()).toBe(
      '2026-03-29T08:00:00.000Z',
    );
    // And back on 25 October 2026: 09:00 GMT is 09:00 UTC.
    expect(nextAllowed(at('2026-10-24T21:30:00Z'), ['Europe/London']).toISOString()).toBe(
      '2026-10-25T09:00:00.000Z',
    );
    // New York forward on 8 March 2026: 09:00 EDT is 13:00 UTC.
    expect(nextAllowed(at('2026-03-08T03:00:00Z'), ['America/New_York']).toISOString()).toBe(
      '2026-03-08T13:00:00.000Z',
    );
  });

  it('uses the most restrictive window of a multi-zone country (US: New York evening to Honolulu morning)', () => {
    const us = COUNTRY_ZONES.US;
    // 14:00 UTC in January: 09:00 New York, but 04:00 Honolulu.
    expect(isAllowed(at('2026-01-15T14:00:00Z'), us)).toBe(false);
    // The window opens at 09:00 Honolulu (19:00 UTC) and closes at 21:00 New York (02:00 UTC).
    expect(nextAllowed(at('2026-01-15T14:00:00Z'), us).toISOString()).toBe('2026-01-15T19:00:00.000Z');
    expect(isAllowed(at('2026-01-16T01:59:00Z'), us)).toBe(true);
    expect(isAllowed(at('2026-01-16T02:00:00Z'), us)).toBe(false);
    expect(nextAllowed(at('2026-01-16T02:00:00Z'), us).toISOString()).toBe('2026-01-16T19:00:00.000Z');
  });

  it('has a non-empty daily window for every country of the table, in winter and summer', () => {
    for (const [country, zones] of Object.entries(COUNTRY_ZONES)) {
      for (const start of ['2026-01-15T00:00:00Z', '2026-07-15T00:00:00Z']) {
        const next = nextAllowed(at(start), zones);
        expect({ country, ok: isAllowed(next, zones) }).toEqual({ country, ok: true });
        expect(next.getTime() - at(start).getTime()).toBeLessThan(24 * 3600_000);
      }
    }
  });
});
