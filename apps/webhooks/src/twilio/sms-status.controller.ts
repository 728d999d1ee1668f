import { Controller, Headers } from '@nestjs/common';
import { AppError, BrokerClient, ResolvedNumber, TwilioWebhookEvents } from '@nixflex/common';
import { TwilioPaths } from '@nixflex/common/twilio';
import { EMPTY_TWIML, TwilioForm, TwilioParams, TwilioWebhook, VerifiedNumber } from './twilio-webhook.guard';

/**
 * Twilio's SMS status callbacks (the StatusCallback of every send). The
 * guard lets through only a request signed for the number that sent the
 * message (`From` of an outbound status). Then one confirmed publish and an
 * empty TwiML answer: messaging applies the status. Nothing is stored here,
 * so the answer is fast.
 */
@Controller()
export class TwilioSmsStatusController {
  constructor(private readonly broker: BrokerClient) {}

  @TwilioWebhook({ path: TwilioPaths.smsStatus, numberParam: 'From' })
  async status(
    @TwilioForm() params: TwilioParams,
    @VerifiedNumber() number: ResolvedNumber,
    @Headers('i-twilio-idempotency-token') idempotencyToken?: string,
  ): Promise<string> {
    const sid = params.MessageSid ?? params.SmsSid;
    const status = params.MessageStatus ?? params.SmsStatus;
    if (!sid || !status) {
      throw new AppError('validation_failed', 'MessageSid and MessageStatus are required');
    }
    await this.broker.publishEvent(
      TwilioWebhookEvents.smsStatusReceived,
      {
        message_sid: sid,
        message_status: status,
        error_code: params.ErrorCode || null,
        account_sid: params.AccountSid ?? number.twilio_account_sid,
        from: params.From,
        to: params.To ?? '',
        received_at: new Date().toISOString(),
      },
      // Twilio's retries of one callback share the token: the consumer's inbox drops them.
      idempotencyToken ? { messageId: `twilio-status:${idempotencyToken.slice(0, 200)}` } : {},
    );
    return EMPTY_TWIML;
  }
}
