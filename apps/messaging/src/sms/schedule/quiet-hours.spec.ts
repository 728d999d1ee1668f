import { COUNTRY_ZONES, QuietWindow, isAllowed, minuteOfDay, nextAllowed, zonesOf } from './quiet-hours';

const at = (iso: string) => new Date(iso);

/** `nextAllowed`, which must find an instant. */
function next(from: Date, zones: readonly string[], window?: QuietWindow): Date {
  const found = nextAllowed(from, zones, window);
  if (found === null) throw new Error(`no allowed instant after ${from.toISOString()}`);
  return found;
}

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
    expect(next(at('2026-01-15T22:00:00Z'), ['Europe/London']).toISOString()).toBe(
      '2026-01-16T09:00:00.000Z',
    );
    expect(next(at('2026-07-15T21:00:00Z'), ['Europe/London']).toISOString()).toBe(
      '2026-07-16T08:00:00.000Z',
    );
    // Early morning: the same day's 09:00.
    expect(next(at('2026-01-16T03:00:00Z'), ['Europe/London']).toISOString()).toBe(
      '2026-01-16T09:00:00.000Z',
    );
  });

  it('leaves an allowed instant alone', () => {
    const t = at('2026-01-15T12:34:56.789Z');
    expect(next(t, ['Europe/London'])).toBe(t);
  });

  it('crosses daylight-saving changes at the local 09:00', () => {
    // London: clocks go forward on 29 March 2026 (01:00 UTC); 09:00 BST is 08:00 UTC.
    expect(next(at('2026-03-28T22:00:00Z'), ['Europe/London']).toISOString()).toBe(
      '2026-03-29T08:00:00.000Z',
    );
    // And back on 25 October 2026: 09:00 GMT is 09:00 UTC.
    expect(next(at('2026-10-24T21:30:00Z'), ['Europe/London']).toISOString()).toBe(
      '2026-10-25T09:00:00.000Z',
    );
    // New York forward on 8 March 2026: 09:00 EDT is 13:00 UTC.
    expect(next(at('2026-03-08T03:00:00Z'), ['America/New_York']).toISOString()).toBe(
      '2026-03-08T13:00:00.000Z',
    );
  });

  it('uses the most restrictive window of a multi-zone country (US: New York evening to Honolulu morning)', () => {
    const us = COUNTRY_ZONES.US;
    // 14:00 UTC in January: 09:00 New York, but 04:00 Honolulu.
    expect(isAllowed(at('2026-01-15T14:00:00Z'), us)).toBe(false);
    // The window opens at 09:00 Honolulu (19:00 UTC) and closes at 21:00 New York (02:00 UTC).
    expect(next(at('2026-01-15T14:00:00Z'), us).toISOString()).toBe('2026-01-15T19:00:00.000Z');
    expect(isAllowed(at('2026-01-16T01:59:00Z'), us)).toBe(true);
    expect(isAllowed(at('2026-01-16T02:00:00Z'), us)).toBe(false);
    expect(next(at('2026-01-16T02:00:00Z'), us).toISOString()).toBe('2026-01-16T19:00:00.000Z');
  });

  it('has a non-empty daily window for every country of the table, in winter and summer', () => {
    for (const [country, zones] of Object.entries(COUNTRY_ZONES)) {
      for (const start of ['2026-01-15T00:00:00Z', '2026-07-15T00:00:00Z']) {
        const found = next(at(start), zones);
        expect({ country, ok: isAllowed(found, zones) }).toEqual({ country, ok: true });
        expect(found.getTime() - at(start).getTime()).toBeLessThan(24 * 3600_000);
      }
    }
  });

  it('reads HH:MM as minutes of the day', () => {
    expect(minuteOfDay('00:00')).toBe(0);
    expect(minuteOfDay('09:30')).toBe(570);
    expect(minuteOfDay('23:59')).toBe(1439);
    expect(() => minuteOfDay('24:00')).toThrow();
  });

  it("uses an account's window to the minute, wrapping midnight (20:30-08:15)", () => {
    const w = { start: '20:30', end: '08:15' };
    const london = ['Europe/London'];
    expect(isAllowed(at('2026-01-15T08:14:59Z'), london, w)).toBe(false);
    expect(isAllowed(at('2026-01-15T08:15:00Z'), london, w)).toBe(true);
    expect(isAllowed(at('2026-01-15T20:29:59Z'), london, w)).toBe(true);
    expect(isAllowed(at('2026-01-15T20:30:00Z'), london, w)).toBe(false);
    expect(next(at('2026-01-15T20:45:00Z'), london, w).toISOString()).toBe('2026-01-16T08:15:00.000Z');
    // Summer: 08:15 BST is 07:15 UTC.
    expect(next(at('2026-07-15T23:00:00Z'), london, w).toISOString()).toBe('2026-07-16T07:15:00.000Z');
  });

  it('uses a window that does not wrap midnight (13:00-14:00)', () => {
    const w = { start: '13:00', end: '14:00' };
    const london = ['Europe/London'];
    expect(isAllowed(at('2026-01-15T12:59:59Z'), london, w)).toBe(true);
    expect(isAllowed(at('2026-01-15T13:00:00Z'), london, w)).toBe(false);
    expect(isAllowed(at('2026-01-15T13:59:59Z'), london, w)).toBe(false);
    expect(isAllowed(at('2026-01-15T14:00:00Z'), london, w)).toBe(true);
    // Night is allowed with this window.
    expect(isAllowed(at('2026-01-15T23:30:00Z'), london, w)).toBe(true);
    expect(isAllowed(at('2026-01-16T03:00:00Z'), london, w)).toBe(true);
    expect(next(at('2026-01-15T13:20:00Z'), london, w).toISOString()).toBe('2026-01-15T14:00:00.000Z');
    // The US: quiet while it is 13:00-14:00 in any of its zones.
    const us = COUNTRY_ZONES.US;
    // 18:30 UTC in January: 13:30 New York.
    expect(isAllowed(at('2026-01-15T18:30:00Z'), us, w)).toBe(false);
    // Each zone's 14:00 finds the next zone westwards at 13:00, until 14:00 in Honolulu (00:00 UTC).
    expect(next(at('2026-01-15T18:30:00Z'), us, w).toISOString()).toBe('2026-01-16T00:00:00.000Z');
  });

  it('has no quiet hours when start equals end', () => {
    const w = { start: '21:00', end: '21:00' };
    for (const iso of ['2026-01-15T21:00:00Z', '2026-01-15T03:00:00Z', '2026-01-15T12:00:00Z']) {
      expect(isAllowed(at(iso), COUNTRY_ZONES.US, w)).toBe(true);
      expect(next(at(iso), ['Europe/London'], w).toISOString()).toBe(iso.replace('Z', '.000Z'));
    }
  });

  it('finds no instant when the zones span more than the window leaves open', () => {
    // Allowed only 07:00-08:00 local: never at once in New York and Honolulu.
    expect(
      nextAllowed(at('2026-01-15T12:00:00Z'), COUNTRY_ZONES.US, { start: '08:00', end: '07:00' }),
    ).toBeNull();
  });
});
