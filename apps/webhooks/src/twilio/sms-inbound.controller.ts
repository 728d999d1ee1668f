import { Body, Controller, Header, Headers, HttpCode, Logger, Post } from '@nestjs/common';
import { AppError, BrokerClient, ResolvedNumber, WebhooksEvents, config } from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import twilio from 'twilio';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

/**
 * Twilio's inbound-SMS webhook (the SmsUrl of imported numbers). The dialled
 * number (`To`) must be one we hold (else 404) and the X-Twilio-Signature
 * must be valid for its token over the public URL (else 403). Then one
 * confirmed publish and an empty TwiML answer: nothing slow (no DB write, no
 * LLM) happens inside Twilio's window. Duplicates are removed by messaging,
 * which claims the MessageSid atomically.
 */
@Controller('twilio')
export class SmsInboundController {
  private readonly logger = new Logger('TwilioSmsInbound');

  constructor(
    private readonly numbers: NumberResolver,
    private readonly broker: BrokerClient,
  ) {}

  static url(): string {
    return `${config().publicWebhookBaseUrl}/twilio/sms`;
  }

  @Post('sms')
  @HttpCode(200)
  @Header('content-type', 'text/xml; charset=utf-8')
  async inbound(
    @Body() body: Record<string, string> | undefined,
    @Headers('x-twilio-signature') signature?: string,
  ): Promise<string> {
    const params = body && typeof body === 'object' ? body : {};
    const number = await this.verify(params, signature);
    const sid = params.MessageSid ?? params.SmsMessageSid ?? params.SmsSid;
    if (!sid || !params.From) throw new AppError('validation_failed', 'MessageSid and From are required');
    await this.broker.publishEvent(
      WebhooksEvents.smsInboundReceived,
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

  private async verify(
    params: Record<string, string>,
    signature: string | undefined,
  ): Promise<ResolvedNumber> {
    if (!params.To) throw new AppError('number_not_found', 'To is missing');
    let number: ResolvedNumber;
    try {
      number = await this.numbers.resolve(params.To);
    } catch (err) {
      if (err instanceof AppError && err.code === 'number_not_found') {
        this.logger.warn(`inbound SMS for ${params.To}, which is not imported`);
        throw new AppError('number_not_found', `Phone number ${params.To} is not imported`);
      }
      throw err;
    }
    const forbidden = (why: string) => {
      this.logger.warn(`rejected inbound SMS ${params.MessageSid ?? '?'} for ${params.To}: ${why}`);
      return new AppError('invalid_signature', 'X-Twilio-Signature is missing or invalid');
    };
    if (!signature) throw forbidden('no signature');
    if (params.AccountSid && params.AccountSid !== number.twilio_account_sid)
      throw forbidden('AccountSid mismatch');
    const token = this.numbers.openTwilioToken(number);
    if (!twilio.validateRequest(token, signature, SmsInboundController.url(), params))
      throw forbidden('bad signature');
    return number;
  }
}
