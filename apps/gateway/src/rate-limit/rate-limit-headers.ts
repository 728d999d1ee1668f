import type { WindowCount } from '@nixflex/common/redis';

/** One limit a request was counted against, by the name its headers give it. */
export interface NamedCount {
  name: 'key' | 'account';
  count: WindowCount;
}

/**
 * `RateLimit-Policy` of draft-ietf-httpapi-ratelimit-headers (a Structured
 * Fields List): each policy's quota `q` per window `w` seconds, e.g.
 * `"key";q=500;w=10, "account";q=1000;w=10`.
 */
export function rateLimitPolicyHeader(counts: NamedCount[]): string {
  return counts.map(({ name, count }) => `"${name}";q=${count.quota};w=${count.windowS}`).join(', ');
}

/**
 * `RateLimit` of the same draft: what is left of each policy's quota `r` and
 * the seconds `t` until it is whole again, e.g. `"key";r=499;t=10, "account";r=999;t=10`.
 */
export function rateLimitHeader(counts: NamedCount[]): string {
  return counts
    .map(({ name, count }) => `"${name}";r=${count.remaining};t=${resetSeconds(count.resetMs)}`)
    .join(', ');
}

/** Whole seconds, rounded up, so a client that waits this long is certainly in the next window. */
export function resetSeconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

/**
 * The refusal of a request over one of its limits: the limit that frees last
 * (a client must wait for it), `Retry-After` in seconds (at least 1) and the
 * message of the `rate_limited` error. Null when every limit allowed it.
 */
export function refusal(counts: NamedCount[]): { retryAfterS: number; message: string } | null {
  const refused = counts.filter((c) => !c.count.allowed);
  if (refused.length === 0) return null;
  const worst = refused.reduce((a, b) => (b.count.resetMs > a.count.resetMs ? b : a));
  const retryAfterS = Math.max(1, resetSeconds(worst.count.resetMs));
  const whose = worst.name === 'key' ? 'this API key' : 'this account';
  return {
    retryAfterS,
    message:
      `Rate limit of ${worst.count.quota} requests per ${worst.count.windowS} s for ${whose} exceeded; ` +
      `retry after ${retryAfterS} s`,
  };
}
