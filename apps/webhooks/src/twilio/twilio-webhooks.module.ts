import { Module } from '@nestjs/common';
import { NumberResolverModule } from '@nixflex/common/numbers';
import { FormBodyParser } from './form-body';
import { SmsInboundController } from './sms-inbound.controller';
import { SmsStatusController } from './sms-status.controller';

/** Twilio's webhooks into the engine (SMS status callbacks, inbound SMS). */
@Module({
  imports: [NumberResolverModule],
  controllers: [SmsStatusController, SmsInboundController],
  providers: [FormBodyParser],
})
export class TwilioWebhooksModule {}
