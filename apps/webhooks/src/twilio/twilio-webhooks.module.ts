import { Module } from '@nestjs/common';
import { NumberResolverModule } from '@nixflex/common/numbers';
import { FormBodyParser } from './form-body';
import { SmsStatusController } from './sms-status.controller';

/** Twilio's webhooks into the engine (SMS status callbacks for now). */
@Module({
  imports: [NumberResolverModule],
  controllers: [SmsStatusController],
  providers: [FormBodyParser],
})
export class TwilioWebhooksModule {}
