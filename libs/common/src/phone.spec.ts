import { countryOf, isTwilioAccountSid, toE164 } from './phone';

describe('toE164', () => {
  it.each(['+447446466847', '+14155552671', '+442011110001'])('accepts %s', (n) => {
    expect(toE164(n)).toBe(n);
  });

  it.each([
    '447446466847',
    '+44 7446 466847',
    '+4474464',
    '07446466847',
    '+0447446466847',
    '+1415555267',
    '+44abc',
    '',
    42,
    null,
  ])('rejects %p', (n) => {
    expect(toE164(n)).toBeUndefined();
  });
});

describe('isTwilioAccountSid', () => {
  it('wants AC and 32 hex characters', () => {
    expect(isTwilioAccountSid(`AC${'a'.repeat(32)}`)).toBe(true);
    expect(isTwilioAccountSid(`AC${'a'.repeat(31)}`)).toBe(false);
    expect(isTwilioAccountSid(`PN${'a'.repeat(32)}`)).toBe(false);
    expect(isTwilioAccountSid(`AC${'g'.repeat(32)}`)).toBe(false);
  });
});

describe('countryOf', () => {
  it("is libphonenumber's country, else the calling code's main country for a range it cannot place", () => {
    expect(countryOf('+447386172392')).toBe('GB');
    expect(countryOf('+447700900555')).toBe('GB');
    expect(countryOf('+12125550143')).toBe('US');
    expect(countryOf('+15555550100')).toBe('US');
    expect(countryOf('+353861231234')).toBe('IE');
  });
});
