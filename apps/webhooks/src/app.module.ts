import { Module } from '@nestjs/common';
import { CoreModule } from '@nixflex/common';
import { HealthController } from './health/health.controller';
import { HealthHandler } from './health/health.handler';
import { TwilioWebhooksModule } from './twilio/twilio-webhooks.module';

@Module({
  imports: [CoreModule.forService({ service: 'webhooks', entities: [] }), TwilioWebhooksModule],
  controllers: [HealthController, HealthHandler],
})
export class AppModule {}
