import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Strict E.164: a leading +, digits only, and a number libphonenumber
 * considers possible for its country. Returns the canonical form or undefined.
 */
export function toE164(input: unknown): string | undefined {
  if (typeof input !== 'string' || !/^\+[1-9]\d{6,14}$/.test(input)) return undefined;
  const parsed = parsePhoneNumberFromString(input);
  if (!parsed || !parsed.isPossible()) return undefined;
  return parsed.number === input ? input : undefined;
}

export function isE164(input: unknown): input is string {
  return toE164(input) !== undefined;
}

/** Twilio Account SIDs: AC + 32 hex characters. */
export function isTwilioAccountSid(input: unknown): input is string {
  return typeof input === 'string' && /^AC[0-9a-fA-F]{32}$/.test(input);
}
