import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { AccountSettingsChangedEvent, AccountsEvents, DEFAULT_QUIET_HOURS } from '@nixflex/common';
import { AccountDestinationsRepository } from './account-destinations.repository';

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

@Controller()
export class DestinationsHandler {
  constructor(private readonly repo: AccountDestinationsRepository) {}

  /**
   * Idempotent and order-proof: the row keeps the highest settings version
   * seen. The event always carries the whole settings; a quiet-hours field
   * that is missing or malformed reads as its default.
   */
  @EventPattern(AccountsEvents.settingsChanged)
  async onSettingsChanged(@Payload() event: AccountSettingsChangedEvent): Promise<void> {
    if (
      typeof event?.account_id !== 'string' ||
      !Number.isInteger(event.version) ||
      !Array.isArray(event.allowed_destination_countries) ||
      !event.allowed_destination_countries.every((c) => typeof c === 'string')
    ) {
      return;
    }
    const quiet = event.quiet_hours as { start?: unknown; end?: unknown } | undefined;
    const valid = (t: unknown): t is string => typeof t === 'string' && HH_MM.test(t);
    await this.repo.applyIfNewer(
      event.account_id,
      {
        allowedCountries: event.allowed_destination_countries,
        quietHours:
          valid(quiet?.start) && valid(quiet?.end)
            ? { start: quiet.start, end: quiet.end }
            : { ...DEFAULT_QUIET_HOURS },
        respectQuietHoursDefault: event.respect_quiet_hours_default === true,
      },
      event.version,
    );
  }
}
