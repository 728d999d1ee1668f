import { Injectable } from '@nestjs/common';
import { AppError, DEFAULT_ALLOWED_DESTINATION_COUNTRIES, countryOf } from '@nixflex/common';
import { AccountDestinationsRepository } from './account-destinations.repository';

/**
 * The Crown Dependencies share the UK's numbering plan (+44) and its mobile
 * networks: a UK sender texts a Jersey, Guernsey or Isle of Man mobile as a
 * UK number, so allowing GB allows them too (each can also be listed alone).
 */
const UNDER_GB = new Set(['GG', 'IM', 'JE']);

/**
 * Where an account may send SMS: its `allowed_destination_countries`, as the
 * last `accounts.settings-changed.v1` told messaging, `["GB"]` before any.
 */
@Injectable()
export class DestinationPolicy {
  constructor(private readonly repo: AccountDestinationsRepository) {}

  /** `422 destination_not_allowed` when `to` (E.164) is in a country the account may not send to. */
  async assertAllowed(accountId: string, to: string): Promise<void> {
    const allowed = await this.allowedCountries(accountId);
    if (isAllowedIn(allowed, to)) return;
    const country = countryOf(to) ?? null;
    const where = country ? `is in ${country}` : 'is in no country we can tell';
    throw new AppError(
      'destination_not_allowed',
      `\`to\` ${to} ${where}; this account may send to: ${allowed.join(', ')}. ` +
        'Change allowed_destination_countries in the account settings.',
      { country, allowed },
    );
  }

  /** The same rule as a predicate on a number's country (`countryOf`), read once for many numbers. */
  async predicate(accountId: string): Promise<(country: string | undefined) => boolean> {
    const allowed = await this.allowedCountries(accountId);
    return (country) => countryAllowed(allowed, country);
  }

  private async allowedCountries(accountId: string): Promise<string[]> {
    return (await this.repo.allowedCountries(accountId)) ?? [...DEFAULT_ALLOWED_DESTINATION_COUNTRIES];
  }
}

function isAllowedIn(allowed: readonly string[], to: string): boolean {
  return countryAllowed(allowed, countryOf(to));
}

function countryAllowed(allowed: readonly string[], country: string | undefined): boolean {
  return (
    country !== undefined && (allowed.includes(country) || (UNDER_GB.has(country) && allowed.includes('GB')))
  );
}
