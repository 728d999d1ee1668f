import { Module } from '@nestjs/common';
import { NumberResolverModule } from '@nixflex/common/numbers';
import { CUSTOMER_WEBHOOKS_CONFIG, loadCustomerWebhooksConfig } from './customer-webhooks.config';
import { CustomerWebhooksHandler } from './customer-webhooks.handler';
import { DeliveriesRepository } from './delivery/deliveries.repository';
import { DeliveryWorker } from './delivery/delivery.worker';
import { CustomerEventsHandler } from './events/customer-events.handler';
import { CustomerEventsIntake } from './events/customer-events.intake';
import { TargetResolver } from './events/target-resolver';
import { DeliveryLogService } from './log/delivery-log.service';
import { SecretsRepository } from './secrets/secrets.repository';
import { SecretsService } from './secrets/secrets.service';

export { CUSTOMER_WEBHOOK_ENTITIES } from './entities';

/**
 * Signed webhooks from the engine to customers (Standard Webhooks): consumes
 * `customer-events.emit.v1`, delivers at least once with retries, and serves
 * the secret and delivery-log commands. See docs/customer-webhooks.md.
 */
@Module({
  imports: [NumberResolverModule],
  controllers: [CustomerEventsHandler, CustomerWebhooksHandler],
  providers: [
    { provide: CUSTOMER_WEBHOOKS_CONFIG, useFactory: () => loadCustomerWebhooksConfig() },
    SecretsRepository,
    SecretsService,
    DeliveriesRepository,
    DeliveryWorker,
    TargetResolver,
    CustomerEventsIntake,
    DeliveryLogService,
  ],
})
export class CustomerWebhooksModule {}
