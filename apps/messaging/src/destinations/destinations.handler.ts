import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { AccountSettingsChangedEvent, AccountsEvents } from '@nixflex/common';
import { AccountDestinationsRepository } from './account-destinations.repository';

@Controller()
export class DestinationsHandler {
  constructor(private readonly repo: AccountDestinationsRepository) {}

  /** Idempotent and order-proof: the row keeps the highest settings version seen. */
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
    await this.repo.applyIfNewer(event.account_id, event.allowed_destination_countries, event.version);
  }
}
