import {
  addDays,
  daysBetween,
  isDate,
  isTimeZone,
  parseStart,
  sayableClock,
  sayableTime,
  todayIn,
} from './time';

describe('calendar time helpers', () => {
  it('knows IANA zones and nothing else', () => {
    expect(isTimeZone('Europe/London')).toBe(true);
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('')).toBe(false);
    expect(isTimeZone(42)).toBe(false);
  });

  it('says an instant as a person would, in the zone', () => {
    expect(sayableTime('2026-12-03T09:00:00Z', 'Europe/London')).toBe('Thursday 3 December, 9:00 am');
    expect(sayableTime('2026-07-02T13:30:00Z', 'Europe/London')).toBe('Thursday 2 July, 2:30 pm');
    expect(sayableTime('2026-12-03T17:00:00Z', 'America/New_York')).toBe('Thursday 3 December, 12:00 pm');
    expect(sayableClock('2026-12-03T10:30:00Z', 'Europe/London')).toBe('10:30 am');
  });

  it('reads a start with an offset as that instant, and without one as wall time in the zone', () => {
    expect(parseStart('2026-12-03T09:00:00Z', 'America/New_York')).toBe(Date.parse('2026-12-03T09:00:00Z'));
    expect(parseStart('2026-12-03T09:00:00+01:00', 'Europe/London')).toBe(Date.parse('2026-12-03T08:00:00Z'));
    expect(parseStart('2026-07-02T09:00', 'Europe/London')).toBe(Date.parse('2026-07-02T08:00:00Z'));
    expect(parseStart('2026-12-03T09:00', 'America/New_York')).toBe(Date.parse('2026-12-03T14:00:00Z'));
  });

  it('refuses what is not a time, and wall times a DST change skips', () => {
    expect(parseStart('tomorrow at 9', 'Europe/London')).toBeUndefined();
    expect(parseStart('2026-12-03', 'Europe/London')).toBeUndefined();
    expect(parseStart('2026-13-03T09:00', 'Europe/London')).toBeUndefined();
    expect(parseStart('2026-03-29T01:30', 'Europe/London')).toBeUndefined();
  });

  it('does date arithmetic on YYYY-MM-DD', () => {
    expect(isDate('2026-12-03')).toBe(true);
    expect(isDate('2026-02-30')).toBe(false);
    expect(daysBetween('2026-12-01', '2026-12-15')).toBe(14);
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2);
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(todayIn('Pacific/Auckland', Date.parse('2026-12-03T12:00:00Z'))).toBe('2026-12-04');
  });
});
