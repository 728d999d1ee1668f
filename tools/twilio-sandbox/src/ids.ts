import { randomBytes } from 'node:crypto';

/** Twilio-style identifiers and timestamps. */

export function hex32(): string {
  return randomBytes(16).toString('hex');
}

/** `AC`, `PN`, `SM`, `RQ`, ... followed by 32 lowercase hex characters. */
export function newSid(prefix: string): string {
  return prefix + hex32();
}

/** RFC 2822 date in GMT as Twilio prints it: `Thu, 30 Jul 2015 20:00:00 +0000`. */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

export const ACCOUNT_SID_RE = /^AC[0-9a-fA-F]{32}$/;
export const E164_RE = /^\+[1-9]\d{6,14}$/;
