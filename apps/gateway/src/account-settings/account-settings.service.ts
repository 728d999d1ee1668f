import { Injectable } from '@nestjs/common';
import {
  AccountSettingsDto,
  AccountsEvents,
  AppError,
  DEFAULT_ALLOWED_DESTINATION_COUNTRIES,
  DEFAULT_QUIET_HOURS,
  Outbox,
  UpdateAccountSettingsBody,
  UsageEvents,
} from '@nixflex/common';
import { AccountSettings } from './account-settings.entity';
import { AccountSettingsRepository } from './account-settings.repository';

/**
 * An account's settings: read with defaults for an account that never changed
 * them, changed together with the `accounts.settings-changed.v1` event that
 * tells messaging (one transaction, through the outbox).
 */
@Injectable()
export class AccountSettingsService {
  constructor(
    private readonly repo: AccountSettingsRepository,
    private readonly outbox: Outbox,
  ) {}

  async get(accountId: string): Promise<AccountSettingsDto> {
    return toDto(await this.repo.find(accountId));
  }

  async update(accountId: string, body: UpdateAccountSettingsBody): Promise<AccountSettingsDto> {
    // Nothing to change: no new version, no event.
    if (
      body.allowed_destination_countries === undefined &&
      body.quiet_hours === undefined &&
      body.respect_quiet_hours_default === undefined &&
      body.monthly_token_budget === undefined
    ) {
      return this.get(accountId);
    }
    const saved = await this.repo.transaction(async (m) => {
      if (!(await this.repo.lockAccount(m, accountId))) {
        throw new AppError('not_found', `Account ${accountId} does not exist`);
      }
      const current = await this.repo.findForUpdate(m, accountId);
      const next: AccountSettings = {
        accountId,
        allowedDestinationCountries: body.allowed_destination_countries
          ? [...new Set(body.allowed_destination_countries)]
          : (current?.allowedDestinationCountries ?? [...DEFAULT_ALLOWED_DESTINATION_COUNTRIES]),
        quietHoursStart: body.quiet_hours?.start ?? current?.quietHoursStart ?? DEFAULT_QUIET_HOURS.start,
        quietHoursEnd: body.quiet_hours?.end ?? current?.quietHoursEnd ?? DEFAULT_QUIET_HOURS.end,
        respectQuietHoursDefault:
          body.respect_quiet_hours_default ?? current?.respectQuietHoursDefault ?? false,
        monthlyTokenBudget:
          body.monthly_token_budget !== undefined
            ? body.monthly_token_budget
            : (current?.monthlyTokenBudget ?? null),
        version: (current?.version ?? 0) + 1,
        updatedAt: new Date(),
      };
      await this.repo.save(m, next);
      await this.outbox.add(m, AccountsEvents.settingsChanged, {
        account_id: accountId,
        version: next.version,
        allowed_destination_countries: next.allowedDestinationCountries,
        quiet_hours: { start: next.quietHoursStart, end: next.quietHoursEnd },
        respect_quiet_hours_default: next.respectQuietHoursDefault,
      });
      // Messaging and voice keep the budget; both events carry the whole state and the same version.
      await this.outbox.add(m, UsageEvents.tokenBudgetChanged, {
        account_id: accountId,
        version: next.version,
        monthly_token_budget: next.monthlyTokenBudget,
      });
      return next;
    });
    this.outbox.kick();
    return toDto(saved);
  }
}

function toDto(s: AccountSettings | null): AccountSettingsDto {
  return {
    allowed_destination_countries: s?.allowedDestinationCountries ?? [
      ...DEFAULT_ALLOWED_DESTINATION_COUNTRIES,
    ],
    quiet_hours: s
      ? { start: s.quietHoursStart, end: s.quietHoursEnd }
      : { start: DEFAULT_QUIET_HOURS.start, end: DEFAULT_QUIET_HOURS.end },
    respect_quiet_hours_default: s?.respectQuietHoursDefault ?? false,
    monthly_token_budget: s?.monthlyTokenBudget ?? null,
    updated_at: s ? s.updatedAt.toISOString() : null,
  };
}
