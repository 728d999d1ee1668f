import { Module } from '@nestjs/common';
import { NumberResolverModule } from '@nixflex/common/numbers';
import { RedisModule } from '@nixflex/common/redis';
import { TwilioFloodGuard } from './flood-guard';
import { FormBodyParser } from './form-body';
import { TwilioSmsInboundController } from './sms-inbound.controller';
import { TwilioSmsStatusController } from './sms-status.controller';
import { TwilioWebhookGuard } from './twilio-webhook.guard';
import { TwilioVoiceAnswerController } from './voice-answer.controller';
import { TwilioVoiceCallbacksController } from './voice-callbacks.controller';

/**
 * Twilio's webhooks into the engine (SMS status callbacks, inbound SMS, voice
 * calls, the relay's end and call status callbacks), every
 * route behind TwilioWebhookGuard. Not to be confused with customer webhooks
 * (../customer-webhooks), which the engine sends out to customers.
 */
@Module({
  // Redis: the flood limits per caller, shared by every webhooks replica.
  imports: [NumberResolverModule, RedisModule],
  controllers: [
    TwilioSmsStatusController,
    TwilioSmsInboundController,
    TwilioVoiceAnswerController,
    TwilioVoiceCallbacksController,
  ],
  providers: [FormBodyParser, TwilioWebhookGuard, TwilioFloodGuard],
})
export class TwilioWebhooksModule {}
