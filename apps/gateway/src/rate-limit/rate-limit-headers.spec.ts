import type { WindowCount } from '@nixflex/common/redis';
import {
  NamedCount,
  rateLimitHeader,
  rateLimitPolicyHeader,
  refusal,
  resetSeconds,
} from './rate-limit-headers';

function count(over: Partial<WindowCount>): WindowCount {
  return { allowed: true, quota: 500, windowS: 10, remaining: 499, resetMs: 9200, consumed: 1, ...over };
}

const both = (key: Partial<WindowCount>, account: Partial<WindowCount>): NamedCount[] => [
  { name: 'key', count: count(key) },
  { name: 'account', count: count({ quota: 1000, remaining: 999, ...account }) },
];

describe('rate limit headers (draft-ietf-httpapi-ratelimit-headers)', () => {
  it('lists each policy with its quota and window, and what is left with the seconds to its reset', () => {
    const counts = both({}, { resetMs: 3001 });
    expect(rateLimitPolicyHeader(counts)).toBe('"key";q=500;w=10, "account";q=1000;w=10');
    expect(rateLimitHeader(counts)).toBe('"key";r=499;t=10, "account";r=999;t=4');
  });

  it('rounds the reset up to whole seconds and never below zero', () => {
    expect([
      resetSeconds(0),
      resetSeconds(1),
      resetSeconds(1000),
      resetSeconds(1001),
      resetSeconds(-5),
    ]).toEqual([0, 1, 1, 2, 0]);
  });

  it('allows when every limit allows', () => {
    expect(refusal(both({}, {}))).toBeNull();
  });

  it('refuses naming the limit that frees last, with Retry-After of at least one second', () => {
    const key = refusal(both({ allowed: false, remaining: 0, resetMs: 2500 }, {}));
    expect(key).toEqual({
      retryAfterS: 3,
      message: 'Rate limit of 500 requests per 10 s for this API key exceeded; retry after 3 s',
    });
    const account = refusal(
      both({ allowed: false, remaining: 0, resetMs: 2500 }, { allowed: false, remaining: 0, resetMs: 7000 }),
    );
    expect(account?.retryAfterS).toBe(7);
    expect(account?.message).toContain('for this account');
    expect(refusal(both({ allowed: false, resetMs: 0 }, {}))?.retryAfterS).toBe(1);
  });
});
