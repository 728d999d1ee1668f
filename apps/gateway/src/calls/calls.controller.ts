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
  CallAcceptedDto,
  CallDetailDto,
  CallDto,
  CallPage,
  CreateCallBody,
  ListCallsQuery,
  Page,
  VoiceCommands,
  newId,
} from '@nixflex/common';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';
import { API_KEY_SCHEME } from '../openapi/document';
import { ApiErrors } from '../openapi/errors';
import { ApiIdempotencyKey, IdempotencyKey } from '../idempotency/idempotency-key';

const CALL_ID_OR_SID = /^[\x21-\x7e]{1,64}$/;

@ApiTags('calls')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/calls')
export class CallsController {
  constructor(private readonly broker: BrokerClient) {}

  /**
   * 202: the call is stored and will be placed with Twilio exactly once. The
   * id is made here so the command carries it; with an Idempotency-Key a
   * retry gets the first answer (and its id) back from voice.
   */
  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Call someone from an imported number',
    description:
      "The call is stored and will be placed with Twilio exactly once; when the callee answers, the number's " +
      "agent talks with them, with this call's `prompt` instead of the number's custom prompt and `first_message` " +
      'as its greeting. Follow it with `GET /v1/calls/{id}`. With an `Idempotency-Key`, a retry gets the first ' +
      'answer back.',
  })
  @ApiIdempotencyKey()
  @ApiAcceptedResponse({ type: CallAcceptedDto })
  @ApiErrors(
    [
      'invalid_phone_format',
      'prompt_too_long',
      'first_message_too_long',
      'metadata_too_large',
      'number_not_found',
      'agent_not_found',
      'number_not_attached_to_agent',
      'idempotency_key_reused',
      'idempotency_key_in_use',
      'token_budget_exhausted',
    ],
    { body: true },
  )
  create(
    @CurrentPrincipal() p: Principal,
    @Body() body: CreateCallBody,
    @IdempotencyKey() idempotencyKey?: string,
  ): Promise<CallAcceptedDto> {
    return this.broker.request(VoiceCommands.callsCreate, {
      ...body,
      account_id: p.accountId,
      api_key_id: p.keyId,
      call_id: newId('call'),
      ...(idempotencyKey ? { idempotency_key: idempotencyKey } : {}),
    });
  }

  @Get()
  @ApiOperation({ summary: "List the account's calls (both directions), newest first" })
  @ApiOkResponse({ type: CallPage })
  @ApiErrors(['validation_failed', 'invalid_cursor'])
  list(@CurrentPrincipal() p: Principal, @Query() q: ListCallsQuery): Promise<Page<CallDto>> {
    return this.broker.request(VoiceCommands.callsList, { ...q, account_id: p.accountId });
  }

  /** By our id (`call_...`) or by Twilio's CallSid (`CA...`). */
  @Get(':id')
  @ApiOperation({ summary: 'Get a call with its transcript and status history' })
  @ApiParam({ name: 'id', description: "Our id (`call_...`) or Twilio's CallSid (`CA...`)" })
  @ApiOkResponse({ type: CallDetailDto })
  @ApiErrors(['call_not_found'])
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<CallDetailDto> {
    // Our ids and CallSids are short printable ASCII; anything else names no call (and never reaches SQL).
    if (!CALL_ID_OR_SID.test(id)) throw new AppError('call_not_found', 'No such call in this account');
    return this.broker.request(VoiceCommands.callsGet, { account_id: p.accountId, id });
  }
}
