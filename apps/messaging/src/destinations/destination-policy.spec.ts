import { AppError } from '@nixflex/common';
import type { AccountDestinationsRepository } from './account-destinations.repository';
import { DestinationPolicy } from './destination-policy';

function policy(stored: Record<string, string[]>): DestinationPolicy {
  const repo = {
    allowedCountries: (accountId: string) => Promise.resolve(stored[accountId] ?? null),
  } as unknown as AccountDestinationsRepository;
  return new DestinationPolicy(repo);
}

async function refusal(p: DestinationPolicy, account: string, to: string): Promise<AppError> {
  return p.assertAllowed(account, to).then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => err as AppError,
  );
}

describe('DestinationPolicy', () => {
  it('allows GB and refuses elsewhere for an account messaging never heard of', async () => {
    const p = policy({});
    await expect(p.assertAllowed('acct_a', '+447386172392')).resolves.toBeUndefined();
    const err = await refusal(p, 'acct_a', '+14155201234');
    expect(err.code).toBe('destination_not_allowed');
    expect(err.message).toBe(
      '`to` +14155201234 is in US; this account may send to: GB. ' +
        'Change allowed_destination_countries in the account settings.',
    );
    expect(err.details).toEqual({ country: 'US', allowed: ['GB'] });
  });

  it('places a number in a range libphonenumber does not know (the drama range) by its calling code', async () => {
    await expect(policy({}).assertAllowed('acct_a', '+447700900555')).resolves.toBeUndefined();
  });

  it('counts the Crown Dependencies (+44, GG/IM/JE) as GB, and only when GB is allowed', async () => {
    await expect(policy({}).assertAllowed('acct_a', '+447509467369')).resolves.toBeUndefined();
    const err = await refusal(policy({ acct_c: ['IE'] }), 'acct_c', '+447509467369');
    expect(err.details).toEqual({ country: 'JE', allowed: ['IE'] });
  });

  it("uses the account's stored list", async () => {
    const p = policy({ acct_b: ['IE', 'FR'] });
    await expect(p.assertAllowed('acct_b', '+353861231234')).resolves.toBeUndefined();
    await expect(p.assertAllowed('acct_b', '+33612341234')).resolves.toBeUndefined();
    expect((await refusal(p, 'acct_b', '+447386172392')).details).toEqual({
      country: 'GB',
      allowed: ['IE', 'FR'],
    });
  });
});
