import { AppError } from '@nixflex/common';
import { expiresAtFor, scheduleFor, validityPeriodFor } from './send-timing';

const NOW = new Date('2026-01-15T12:00:00Z');
const GB = '+447386172392';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : 'not an AppError';
  }
  return undefined;
}

describe('scheduleFor', () => {
  it('is null (at once) without send_at or quiet hours', () => {
    expect(scheduleFor({ respectQuietHours: false }, GB, NOW)).toBeNull();
  });

  it('takes a future send_at with an offset', () => {
    expect(scheduleFor({ sendAt: '2026-01-15T14:00:00+01:00', respectQuietHours: false }, GB, NOW)).toEqual(
      new Date('2026-01-15T13:00:00Z'),
    );
  });

  it.each([
    'tomorrow',
    '2026-01-16',
    '2026-01-16T10:00:00',
    '2026-02-30T10:00:00Z',
    '2026-01-16T25:00:00Z',
    '',
  ])('refuses %j as invalid_send_at', (sendAt) => {
    expect(codeOf(() => scheduleFor({ sendAt, respectQuietHours: false }, GB, NOW))).toBe('invalid_send_at');
  });

  it('refuses a send_at in the past or more than 30 days ahead', () => {
    expect(
      codeOf(() => scheduleFor({ sendAt: '2026-01-15T11:59:59Z', respectQuietHours: false }, GB, NOW)),
    ).toBe('invalid_send_at');
    expect(
      codeOf(() => scheduleFor({ sendAt: '2026-02-14T12:00:01Z', respectQuietHours: false }, GB, NOW)),
    ).toBe('invalid_send_at');
    expect(scheduleFor({ sendAt: '2026-02-14T12:00:00Z', respectQuietHours: false }, GB, NOW)).toEqual(
      new Date('2026-02-14T12:00:00Z'),
    );
  });

  it('defers a send inside quiet hours, now or at its send_at, to 09:00 local', () => {
    const night = new Date('2026-01-15T22:00:00Z');
    expect(scheduleFor({ respectQuietHours: true }, GB, night)).toEqual(new Date('2026-01-16T09:00:00Z'));
    expect(scheduleFor({ sendAt: '2026-01-15T23:30:00Z', respectQuietHours: true }, GB, NOW)).toEqual(
      new Date('2026-01-16T09:00:00Z'),
    );
    // Outside quiet hours nothing changes.
    expect(scheduleFor({ respectQuietHours: true }, GB, NOW)).toBeNull();
  });

  it('refuses quiet hours for a country it has no zones for', () => {
    expect(codeOf(() => scheduleFor({ respectQuietHours: true }, '+8613800138000', NOW))).toBe(
      'quiet_hours_unsupported_country',
    );
  });

  it("defers by the account's window when given (20:00-08:00)", () => {
    const w = { start: '20:00', end: '08:00' };
    const at2030 = new Date('2026-01-15T20:30:00Z');
    expect(scheduleFor({ respectQuietHours: true }, GB, at2030, w)).toEqual(new Date('2026-01-16T08:00:00Z'));
    // The default window (21:00-09:00) lets 20:30 go at once.
    expect(scheduleFor({ respectQuietHours: true }, GB, at2030)).toBeNull();
    expect(scheduleFor({ respectQuietHours: true }, GB, new Date('2026-01-15T19:59:00Z'), w)).toBeNull();
    expect(scheduleFor({ respectQuietHours: true }, GB, new Date('2026-01-15T20:59:00Z'))).toBeNull();
  });

  it('refuses quiet hours that leave no time in every zone of the country', () => {
    expect(
      codeOf(() =>
        scheduleFor({ respectQuietHours: true }, '+12125550143', NOW, { start: '08:00', end: '07:00' }),
      ),
    ).toBe('quiet_hours_unsupported_country');
  });
});

describe('expiresAtFor', () => {
  const timing = (expiresAt?: string, sendAt?: string) => ({ respectQuietHours: false, expiresAt, sendAt });

  it('is null without expires_at, and the instant with one', () => {
    expect(expiresAtFor(timing(), NOW)).toBeNull();
    expect(expiresAtFor(timing('2026-01-15T14:00:00+01:00'), NOW)).toEqual(new Date('2026-01-15T13:00:00Z'));
  });

  it.each([
    ['not a date', 'tonight', /ISO 8601/],
    ['without an offset', '2026-01-15T18:00:00', /ISO 8601/],
    ['in the past', '2026-01-15T11:00:00Z', /in the past/],
    ['now', '2026-01-15T12:00:00Z', /in the past/],
    ['more than 30 days ahead', '2026-02-14T12:00:01Z', /more than 30 days/],
  ])('refuses an expires_at %s as invalid_expires_at', (_, raw, message) => {
    expect(codeOf(() => expiresAtFor(timing(raw), NOW))).toBe('invalid_expires_at');
    expect(() => expiresAtFor(timing(raw), NOW)).toThrow(message);
  });

  it('must be after send_at when both are given', () => {
    expect(() => expiresAtFor(timing('2026-01-15T14:00:00Z', '2026-01-15T14:00:00Z'), NOW)).toThrow(
      /not after `send_at`/,
    );
    expect(expiresAtFor(timing('2026-01-15T14:00:01Z', '2026-01-15T14:00:00Z'), NOW)).toEqual(
      new Date('2026-01-15T14:00:01Z'),
    );
    expect(expiresAtFor(timing('2026-02-14T12:00:00Z'), NOW)).toEqual(new Date('2026-02-14T12:00:00Z'));
  });
});

describe('validityPeriodFor', () => {
  it("is the whole seconds left, within Twilio's 1..36000", () => {
    expect(validityPeriodFor(null, NOW)).toBeUndefined();
    expect(validityPeriodFor(new Date(NOW.getTime() + 90_999), NOW)).toBe(90);
    expect(validityPeriodFor(new Date(NOW.getTime() + 500), NOW)).toBe(1);
    expect(validityPeriodFor(new Date(NOW.getTime() - 5000), NOW)).toBe(1);
    expect(validityPeriodFor(new Date(NOW.getTime() + 86_400_000), NOW)).toBe(36_000);
  });
});
