import { Injectable } from '@nestjs/common';
import { DEFAULT_QUIET_HOURS } from '@nixflex/common';
import type { QuietWindow } from '../sms/schedule/quiet-hours';
import { AccountDestinationsRepository } from './account-destinations.repository';

/** How an account's sends are timed: its quiet window, and whether a send respects it unless told. */
export interface AccountSendPolicy {
  window: QuietWindow;
  respectDefault: boolean;
}

/**
 * An account's quiet hours and `respect_quiet_hours` default, as the last
 * `accounts.settings-changed.v1` told messaging; 21:00-09:00 and false before
 * any. Single sends and campaigns both time their messages by it.
 */
@Injectable()
export class AccountPolicy {
  constructor(private readonly repo: AccountDestinationsRepository) {}

  async quietHoursFor(accountId: string): Promise<AccountSendPolicy> {
    const row = await this.repo.find(accountId);
    if (!row) return { window: { ...DEFAULT_QUIET_HOURS }, respectDefault: false };
    return {
      window: { start: row.quietHoursStart, end: row.quietHoursEnd },
      respectDefault: row.respectQuietHoursDefault,
    };
  }
}
