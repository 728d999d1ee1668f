import { Controller } from '@nestjs/common';
import { AppError, BrokerClient, ResolvedNumber, TwilioWebhookEvents } from '@nixflex/common';
import { TwilioPaths } from '@nixflex/common/twilio';
import { FloodLimited } from './flood-guard';
import { EMPTY_TWIML, TwilioForm, TwilioParams, TwilioWebhook, VerifiedNumber } from './twilio-webhook.guard';

/**
 * Twilio's inbound-SMS webhook (the SmsUrl of imported numbers). The guard
 * lets through only a request signed for the dialled number (`To`) we hold.
 * Then one confirmed publish and an empty TwiML answer: nothing slow (no DB
 * write, no LLM) happens inside Twilio's window. Duplicates are removed by
 * messaging, which claims the MessageSid atomically. A caller over its
 * flood limit is answered the same empty TwiML and dropped (flood-guard.ts).
 */
@Controller()
export class TwilioSmsInboundController {
  constructor(private readonly broker: BrokerClient) {}

  @TwilioWebhook({ path: TwilioPaths.sms, numberParam: 'To' })
  @FloodLimited('sms')
  async inbound(
    @TwilioForm() params: TwilioParams,
    @VerifiedNumber() number: ResolvedNumber,
  ): Promise<string> {
    const sid = params.MessageSid ?? params.SmsMessageSid ?? params.SmsSid;
    if (!sid || !params.From) throw new AppError('validation_failed', 'MessageSid and From are required');
    await this.broker.publishEvent(
      TwilioWebhookEvents.smsInboundReceived,
      {
        message_sid: sid,
        account_sid: params.AccountSid ?? number.twilio_account_sid,
        from: params.From,
        to: number.phone_number,
        body: params.Body ?? '',
        received_at: new Date().toISOString(),
      },
      { messageId: `twilio-inbound:${sid.slice(0, 64)}` },
    );
    return EMPTY_TWIML;
  }
}
