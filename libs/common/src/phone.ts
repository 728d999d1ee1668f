import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Strict E.164: a leading +, digits only, and a number libphonenumber
 * considers possible for its country. Returns the canonical form or undefined.
 */
export function toE164(input: unknown): string | undefined {
  return e164AndCountry(input)?.e164;
}

/**
 * `toE164` and `countryOf` from one parse (a campaign checks 100,000 numbers;
 * parsing is most of the cost). Undefined when it is not strict E.164.
 */
export function e164AndCountry(input: unknown): { e164: string; country: string | undefined } | undefined {
  if (typeof input !== 'string' || !/^\+[1-9]\d{6,14}$/.test(input)) return undefined;
  const parsed = parsePhoneNumberFromString(input);
  if (!parsed || !parsed.isPossible() || parsed.number !== input) return undefined;
  return { e164: input, country: parsed.country ?? parsed.getPossibleCountries()[0] };
}

export function isE164(input: unknown): input is string {
  return toE164(input) !== undefined;
}

/** Twilio Account SIDs: AC + 32 hex characters. */
export function isTwilioAccountSid(input: unknown): input is string {
  return typeof input === 'string' && /^AC[0-9a-fA-F]{32}$/.test(input);
}

/**
 * The country of an E.164 number (ISO 3166-1 alpha-2): libphonenumber's, else,
 * for a number whose range it cannot place (Ofcom's drama range +447700900…,
 * a newly allocated block), the calling code's main country (+44: GB, +1: US).
 * Undefined when it is no number at all.
 */
export function countryOf(e164: string): string | undefined {
  const parsed = parsePhoneNumberFromString(e164);
  return parsed?.country ?? parsed?.getPossibleCountries()[0];
}
