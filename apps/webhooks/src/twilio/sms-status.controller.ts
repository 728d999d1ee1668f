import { Body, Controller, Header, Headers, HttpCode, Logger, Post } from '@nestjs/common';
import { AppError, BrokerClient, ResolvedNumber, WebhooksEvents, config } from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import twilio from 'twilio';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

/**
 * Twilio's SMS status callbacks. Accepted only with a valid
 * X-Twilio-Signature for the auth token of the number that sent the message
 * (`From` of an outbound status), computed over the public URL Twilio was
 * given. Then one confirmed publish and an empty TwiML answer: messaging
 * applies the status. Nothing is stored here, so the answer is fast.
 */
@Controller('twilio')
export class SmsStatusController {
  private readonly logger = new Logger('TwilioSmsStatus');

  constructor(
    private readonly numbers: NumberResolver,
    private readonly broker: BrokerClient,
  ) {}

  static url(): string {
    return `${config().publicWebhookBaseUrl}/twilio/sms-status`;
  }

  @Post('sms-status')
  @HttpCode(200)
  @Header('content-type', 'text/xml; charset=utf-8')
  async status(
    @Body() body: Record<string, string> | undefined,
    @Headers('x-twilio-signature') signature?: string,
    @Headers('i-twilio-idempotency-token') idempotencyToken?: string,
  ): Promise<string> {
    const params = body && typeof body === 'object' ? body : {};
    const number = await this.verify(params, signature);
    const sid = params.MessageSid ?? params.SmsSid;
    const status = params.MessageStatus ?? params.SmsStatus;
    if (!sid || !status) {
      throw new AppError('validation_failed', 'MessageSid and MessageStatus are required');
    }
    await this.broker.publishEvent(
      WebhooksEvents.smsStatusReceived,
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

  private async verify(
    params: Record<string, string>,
    signature: string | undefined,
  ): Promise<ResolvedNumber> {
    const forbidden = (why: string) => {
      this.logger.warn(`rejected SMS status callback for ${params.MessageSid ?? '?'}: ${why}`);
      return new AppError('invalid_signature', 'X-Twilio-Signature is missing or invalid');
    };
    if (!signature) throw forbidden('no signature');
    if (!params.From) throw forbidden('no From');
    let number: ResolvedNumber;
    try {
      number = await this.numbers.resolve(params.From);
    } catch (err) {
      if (err instanceof AppError && err.code === 'number_not_found')
        throw forbidden(`${params.From} is not imported`);
      throw err;
    }
    if (params.AccountSid && params.AccountSid !== number.twilio_account_sid)
      throw forbidden('AccountSid mismatch');
    const token = this.numbers.openTwilioToken(number);
    if (!twilio.validateRequest(token, signature, SmsStatusController.url(), params))
      throw forbidden('bad signature');
    return number;
  }
}
