import { paceOf, senderRate } from './rates';

describe('sender rates (segments per second, Twilio defaults)', () => {
  it.each([
    ['+12025550143', 1],
    ['+14165550143', 1],
    ['+18005550143', 3],
    ['+18335550143', 3],
    ['+18445550143', 3],
    ['+18555550143', 3],
    ['+18665550143', 3],
    ['+18775550143', 3],
    ['+18885550143', 3],
    ['+18995550143', 1],
    ['+447700900123', 10],
    ['+33612345678', 10],
    ['12345', 100],
  ])('%s: %d/s', (n, rate) => expect(senderRate(n)).toBe(rate));

  it("a number's override wins; pacing off is Infinity", () => {
    const on = { enabled: true };
    expect(paceOf({ phone_number: '+12025550143', sms_rate_per_second: null }, on)).toBe(1);
    expect(paceOf({ phone_number: '+12025550143', sms_rate_per_second: 5 }, on)).toBe(5);
    expect(paceOf({ phone_number: '+447700900123', sms_rate_per_second: 0.5 }, on)).toBe(0.5);
    expect(paceOf({ phone_number: '+447700900123' }, on)).toBe(10);
    expect(paceOf({ phone_number: '+447700900123', sms_rate_per_second: 5 }, { enabled: false })).toBe(
      Infinity,
    );
  });
});
