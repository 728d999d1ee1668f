import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys are `KEY_ID:KEY_SECRET`. The secret is 32 random bytes, so a single
 * SHA-256 is as strong as a slow password hash here (nothing to brute-force)
 * and costs microseconds per request. Only the hash is stored.
 */
export function newKeyId(): string {
  return `key_${randomBytes(8).toString('hex')}`;
}

export function newKeySecret(): string {
  return `sk_${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Parses `Authorization: Bearer KEY_ID:KEY_SECRET`; undefined when malformed. */
export function parseBearer(header: string | undefined): { keyId: string; secret: string } | undefined {
  if (!header) return undefined;
  const m = /^Bearer ([A-Za-z0-9_]{1,64}):([A-Za-z0-9_-]{1,128})$/.exec(header.trim());
  return m ? { keyId: m[1], secret: m[2] } : undefined;
}
