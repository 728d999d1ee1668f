import { AppError } from '@nixflex/common';
import { scheduleFor } from './send-timing';

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
});
