/**
 * SMS segment counting: GSM-7 (160 per single segment, 153 when split; the
 * extension-table characters take two septets) unless any character is
 * outside GSM-7, in which case the whole body is UCS-2 (70, then 67 UTF-16
 * code units).
 */

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '\f^{}\\[~]|€';

const BASIC = new Set(Array.from(GSM_BASIC));
const EXTENDED = new Set(Array.from(GSM_EXTENDED));

export function isGsm7(body: string): boolean {
  for (const ch of body) {
    if (!BASIC.has(ch) && !EXTENDED.has(ch)) return false;
  }
  return true;
}

export function countSegments(body: string): number {
  if (isGsm7(body)) {
    let septets = 0;
    for (const ch of body) septets += EXTENDED.has(ch) ? 2 : 1;
    return septets <= 160 ? 1 : Math.ceil(septets / 153);
  }
  const units = body.length; // UTF-16 code units, as UCS-2/UTF-16 encoding counts them
  return units <= 70 ? 1 : Math.ceil(units / 67);
}
