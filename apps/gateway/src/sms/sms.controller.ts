import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
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
  SmsPage,
  newId,
} from '@nixflex/common';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';
import { API_KEY_SCHEME } from '../openapi/document';
import { ApiErrors } from '../openapi/errors';
import { ApiIdempotencyKey, IdempotencyKey } from '../idempotency/idempotency-key';

@ApiTags('sms')
@ApiBearerAuth(API_KEY_SCHEME)
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
  @ApiOperation({
    summary: 'Send an SMS from an imported number',
    description:
      'The message is stored and will reach Twilio exactly once; follow its status with `GET /v1/sms/{id}`. ' +
      'With `send_at` or `respect_quiet_hours` it may wait in `scheduled` until `scheduled_for` (cancel with `POST /v1/sms/{id}/cancel`). ' +
      'With an `Idempotency-Key`, a retry gets the first answer back.',
  })
  @ApiIdempotencyKey()
  @ApiAcceptedResponse({ type: SmsAcceptedDto })
  @ApiErrors(
    [
      'invalid_phone_format',
      'message_empty',
      'message_too_long',
      'number_not_found',
      'number_not_attached_to_agent',
      'recipient_opted_out',
      'destination_not_allowed',
      'idempotency_key_reused',
      'idempotency_key_in_use',
      'invalid_send_at',
      'invalid_expires_at',
      'quiet_hours_unsupported_country',
    ],
    { body: true },
  )
  send(
    @CurrentPrincipal() p: Principal,
    @Body() body: SendSmsBody,
    @IdempotencyKey() idempotencyKey?: string,
  ): Promise<SmsAcceptedDto> {
    return this.broker.request(MessagingCommands.smsSend, {
      ...body,
      account_id: p.accountId,
      api_key_id: p.keyId,
      message_id: newId('msg'),
      ...(idempotencyKey ? { idempotency_key: idempotencyKey } : {}),
    });
  }

  @Get()
  @ApiOperation({ summary: "List the account's messages (both directions), newest first" })
  @ApiOkResponse({ type: SmsPage })
  @ApiErrors(['validation_failed', 'invalid_cursor'])
  list(@CurrentPrincipal() p: Principal, @Query() q: ListSmsQuery): Promise<Page<SmsDto>> {
    return this.broker.request(MessagingCommands.smsList, { ...q, account_id: p.accountId });
  }

  /** Only a `scheduled` message can be canceled; one handed to Twilio cannot be unsent. */
  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a scheduled message',
    description:
      'A `scheduled` message becomes `canceled` and is never sent. One already queued or sent is `409 sms_not_cancelable`.',
  })
  @ApiParam({ name: 'id', description: 'Our id (`msg_...`)' })
  @ApiOkResponse({ type: SmsDetailDto })
  @ApiErrors(['message_not_found', 'sms_not_cancelable'])
  cancel(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<SmsDetailDto> {
    if (id.length > 64)
      throw new AppError('message_not_found', `No message ${id.slice(0, 64)}... in this account`);
    return this.broker.request(MessagingCommands.smsCancel, { account_id: p.accountId, id });
  }

  /** By our id (`msg_...`) or by the Twilio SID (`SM...`). */
  @Get(':id')
  @ApiOperation({ summary: 'Get a message with its status history and conversation' })
  @ApiParam({ name: 'id', description: 'Our id (`msg_...`) or the Twilio SID (`SM...`)' })
  @ApiOkResponse({ type: SmsDetailDto })
  @ApiErrors(['message_not_found'])
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<SmsDetailDto> {
    if (id.length > 64)
      throw new AppError('message_not_found', `No message ${id.slice(0, 64)}... in this account`);
    return this.broker.request(MessagingCommands.smsGet, { account_id: p.accountId, id });
  }
}
