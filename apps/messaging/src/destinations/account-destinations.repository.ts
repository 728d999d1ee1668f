import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AccountDestinations } from './account-destinations.entity';

/** What one `accounts.settings-changed.v1` sets in messaging's copy. */
export interface AccountSendSettings {
  allowedCountries: string[];
  quietHours: { start: string; end: string };
  respectQuietHoursDefault: boolean;
}

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

  /** The account's stored settings; null before messaging heard of any change (the defaults apply). */
  async find(accountId: string): Promise<AccountDestinations | null> {
    return this.repo.findOneBy({ accountId });
  }

  /** Stores `version` unless a newer (or the same) one is already stored: replays and reordering change nothing. */
  async applyIfNewer(accountId: string, settings: AccountSendSettings, version: number): Promise<void> {
    await this.repo.query(
      `INSERT INTO "messaging"."account_destinations"
         ("account_id", "allowed_countries", "quiet_hours_start", "quiet_hours_end", "respect_quiet_hours_default",
          "version", "updated_at")
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT ("account_id") DO UPDATE
         SET "allowed_countries" = EXCLUDED."allowed_countries",
             "quiet_hours_start" = EXCLUDED."quiet_hours_start",
             "quiet_hours_end" = EXCLUDED."quiet_hours_end",
             "respect_quiet_hours_default" = EXCLUDED."respect_quiet_hours_default",
             "version" = EXCLUDED."version", "updated_at" = now()
         WHERE "account_destinations"."version" < EXCLUDED."version"`,
      [
        accountId,
        settings.allowedCountries,
        settings.quietHours.start,
        settings.quietHours.end,
        settings.respectQuietHoursDefault,
        version,
      ],
    );
  }
}
