import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  AppError,
  BrokerClient,
  ListSmsQuery,
  MessagingCommands,
  Page,
  SendSmsBody,
  SmsAcceptedDto,
  SmsDetailDto,
  SmsDto,
  newId,
} from '@nixflex/common';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

@Controller('v1/sms')
export class SmsController {
  constructor(private readonly broker: BrokerClient) {}

  /**
   * 202: the message is stored and will reach Twilio exactly once. The id is
   * made here so the command carries it; with an Idempotency-Key a retry gets
   * the first answer (and its id) back from messaging.
   */
  @Post()
  @HttpCode(202)
  send(
    @CurrentPrincipal() p: Principal,
    @Body() body: SendSmsBody,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<SmsAcceptedDto> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new AppError('validation_failed', 'Idempotency-Key must be 1 to 255 printable ASCII characters', [
        { field: 'Idempotency-Key', messages: ['must be 1 to 255 printable ASCII characters'] },
      ]);
    }
    return this.broker.request(MessagingCommands.smsSend, {
      ...body,
      account_id: p.accountId,
      api_key_id: p.keyId,
      message_id: newId('msg'),
      ...(idempotencyKey ? { idempotency_key: idempotencyKey } : {}),
    });
  }

  @Get()
  list(@CurrentPrincipal() p: Principal, @Query() q: ListSmsQuery): Promise<Page<SmsDto>> {
    return this.broker.request(MessagingCommands.smsList, { ...q, account_id: p.accountId });
  }

  /** By our id (`msg_...`) or by the Twilio SID (`SM...`). */
  @Get(':id')
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<SmsDetailDto> {
    if (id.length > 64)
      throw new AppError('message_not_found', `No message ${id.slice(0, 64)}... in this account`);
    return this.broker.request(MessagingCommands.smsGet, { account_id: p.accountId, id });
  }
}
