import type { ResolvedNumber } from '@nixflex/common';
import { PacingSettings, pacingSettings } from './pacing.settings';

/** Twilio's toll-free area codes of the North American plan. */
const TOLL_FREE = /^\+1(800|833|844|855|866|877|888)\d{7}$/;

/**
 * Twilio's documented throughput of a sender, in message segments per second:
 * a short code 100, a US/Canadian toll-free number 3, any other +1 number
 * (a long code) 1, every other country's number 10.
 */
export function senderRate(number: string): number {
  const n = number.trim();
  if (/^\d{5,6}$/.test(n)) return 100;
  if (TOLL_FREE.test(n)) return 3;
  if (n.startsWith('+1')) return 1;
  return 10;
}

/** Bounds of a number's `sms_rate_per_second` override. */
export const SMS_RATE_MIN_EXCLUSIVE = 0;
export const SMS_RATE_MAX = 1000;

/**
 * The pace actually applied to a number, in segments per second: its
 * override, else its default rate; Infinity when pacing is off. The campaign
 * ETA divides by this.
 */
export function paceOf(
  number: Pick<ResolvedNumber, 'phone_number'> & { sms_rate_per_second?: number | null },
  settings: Pick<PacingSettings, 'enabled'> = pacingSettings(),
): number {
  if (!settings.enabled) return Infinity;
  const override = number.sms_rate_per_second;
  if (typeof override === 'number' && override > SMS_RATE_MIN_EXCLUSIVE && override <= SMS_RATE_MAX) {
    return override;
  }
  return senderRate(number.phone_number);
}
