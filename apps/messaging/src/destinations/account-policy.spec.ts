import type { AccountDestinations } from './account-destinations.entity';
import type { AccountDestinationsRepository } from './account-destinations.repository';
import { AccountPolicy } from './account-policy';

function policy(stored: Record<string, Partial<AccountDestinations>>): AccountPolicy {
  const repo = {
    find: (accountId: string) => Promise.resolve((stored[accountId] as AccountDestinations) ?? null),
  } as unknown as AccountDestinationsRepository;
  return new AccountPolicy(repo);
}

describe('AccountPolicy.quietHoursFor', () => {
  it('is 21:00-09:00, not respected by default, for an account messaging never heard of', async () => {
    await expect(policy({}).quietHoursFor('acct_a')).resolves.toEqual({
      window: { start: '21:00', end: '09:00' },
      respectDefault: false,
    });
  });

  it("is the account's stored window and default", async () => {
    const p = policy({
      acct_b: { quietHoursStart: '20:00', quietHoursEnd: '08:00', respectQuietHoursDefault: true },
    });
    await expect(p.quietHoursFor('acct_b')).resolves.toEqual({
      window: { start: '20:00', end: '08:00' },
      respectDefault: true,
    });
  });
});
