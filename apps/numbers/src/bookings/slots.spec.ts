import { slotUnavailableMessage } from './calendar-messages';
import { nearbySlots, spreadSlots, toSlot } from './slots';

const at = (iso: string) => Date.parse(iso);
const zone = 'Europe/London';

/** Every half hour of 09:00-17:00 UTC on the given days of December 2026. */
function day(d: number): number[] {
  return Array.from(
    { length: 16 },
    (_, i) => at(`2026-12-${String(d).padStart(2, '0')}T09:00:00Z`) + i * 30 * 60_000,
  );
}

describe('slots', () => {
  it('keeps a short list as it is', () => {
    expect(spreadSlots(day(3).slice(0, 5), zone)).toEqual(day(3).slice(0, 5));
  });

  it('spreads a long list over the days, earliest of each day first, in time order', () => {
    const all = [...day(3), ...day(4), ...day(7)];
    const picked = spreadSlots(all, zone, 12);
    expect(picked).toHaveLength(12);
    expect([...picked].sort((a, b) => a - b)).toEqual(picked);
    for (const d of [3, 4, 7]) expect(picked.filter((ms) => day(d).includes(ms))).toHaveLength(4);
    expect(picked).toContain(at('2026-12-07T09:00:00Z'));
  });

  it('finds the nearest free slots on the same day, else the next ones', () => {
    const free = [...day(3).filter((ms) => ms !== at('2026-12-03T10:00:00Z')), ...day(4)];
    expect(nearbySlots(free, at('2026-12-03T10:00:00Z'), zone)).toEqual([
      at('2026-12-03T09:30:00Z'),
      at('2026-12-03T10:30:00Z'),
      at('2026-12-03T11:00:00Z'),
    ]);
    expect(nearbySlots(day(4), at('2026-12-03T16:30:00Z'), zone)).toEqual(day(4).slice(0, 3));
  });

  it("says a taken slot and its alternatives in the number's time zone", () => {
    const asked = at('2026-12-03T10:00:00Z');
    const alts = [toSlot(at('2026-12-03T10:30:00Z'), zone), toSlot(at('2026-12-03T11:15:00Z'), zone)];
    expect(slotUnavailableMessage(true, asked, alts, zone)).toBe(
      'That time was just taken. I have 10:30 am or 11:15 am.',
    );
    expect(slotUnavailableMessage(false, asked, [toSlot(at('2026-12-04T09:00:00Z'), zone)], zone)).toBe(
      "That time isn't available. I have Friday 4 December, 9:00 am.",
    );
    expect(slotUnavailableMessage(true, asked, [], zone)).toBe(
      'That time was just taken. Would another day work?',
    );
  });
});
