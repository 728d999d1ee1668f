import { Module } from '@nestjs/common';
import { NumberResolverModule } from '@nixflex/common/numbers';
import { FormBodyParser } from './form-body';
import { TwilioSmsInboundController } from './sms-inbound.controller';
import { TwilioSmsStatusController } from './sms-status.controller';
import { TwilioWebhookGuard } from './twilio-webhook.guard';

/**
 * Twilio's webhooks into the engine (SMS status callbacks, inbound SMS), every
 * route behind TwilioWebhookGuard. Not to be confused with customer webhooks
 * (../customer-webhooks), which the engine sends out to customers.
 */
@Module({
  imports: [NumberResolverModule],
  controllers: [TwilioSmsStatusController, TwilioSmsInboundController],
  providers: [FormBodyParser, TwilioWebhookGuard],
})
export class TwilioWebhooksModule {}
