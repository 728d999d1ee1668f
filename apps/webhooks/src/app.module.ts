import { Module } from '@nestjs/common';
import { CoreModule } from '@nixflex/common';
import {
  CUSTOMER_WEBHOOK_ENTITIES,
  CustomerWebhooksModule,
} from './customer-webhooks/customer-webhooks.module';
import { HealthController } from './health/health.controller';
import { HealthHandler } from './health/health.handler';
import { TwilioWebhooksModule } from './twilio/twilio-webhooks.module';

@Module({
  imports: [
    CoreModule.forService({ service: 'webhooks', entities: [...CUSTOMER_WEBHOOK_ENTITIES] }),
    TwilioWebhooksModule,
    CustomerWebhooksModule,
  ],
  controllers: [HealthController, HealthHandler],
})
export class AppModule {}
