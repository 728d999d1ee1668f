import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AccountDestinations } from './account-destinations.entity';

/** Every statement on `messaging.account_destinations`. */
@Injectable()
export class AccountDestinationsRepository {
  constructor(
    @InjectRepository(AccountDestinations) private readonly repo: Repository<AccountDestinations>,
  ) {}

  async allowedCountries(accountId: string): Promise<string[] | null> {
    const row = await this.repo.findOneBy({ accountId });
    return row?.allowedCountries ?? null;
  }

  /** Stores `version` unless a newer (or the same) one is already stored: replays and reordering change nothing. */
  async applyIfNewer(accountId: string, allowedCountries: string[], version: number): Promise<void> {
    await this.repo.query(
      `INSERT INTO "messaging"."account_destinations" ("account_id", "allowed_countries", "version", "updated_at")
       VALUES ($1, $2, $3, now())
       ON CONFLICT ("account_id") DO UPDATE
         SET "allowed_countries" = EXCLUDED."allowed_countries", "version" = EXCLUDED."version", "updated_at" = now()
         WHERE "account_destinations"."version" < EXCLUDED."version"`,
      [accountId, allowedCountries, version],
    );
  }
}
