import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import {
  BrokerClient,
  CalendarInput,
  DeleteNumberQuery,
  DeleteNumberResult,
  ImportNumberBody,
  ListNumbersQuery,
  NumbersCommands,
  Page,
  PhoneNumberDto,
  PhoneNumberPage,
  SealedCalendarInput,
  SecretBox,
  UpdateNumberBody,
  brokerSecretAad,
  config,
} from '@nixflex/common';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';
import { API_KEY_SCHEME } from '../openapi/document';
import { ApiErrors } from '../openapi/errors';

/** Import and delete call Twilio (two requests at most 5 s each) before they answer. */
const TWILIO_BOUND_TIMEOUT_MS = 30_000;

const PHONE_NUMBER = ApiParam({
  name: 'phoneNumber',
  description: 'An imported number, E.164, written `+447...` or `%2B447...`',
  example: '+447446466847',
});

/**
 * `:phoneNumber` is E.164 written as `+447...` or `%2B447...`; the router
 * decodes `%2B` and leaves a literal `+` alone. The numbers service parses it.
 */
@ApiTags('phone-numbers')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/phone-numbers')
export class PhoneNumbersController {
  /** Seals the Twilio token and the Cal.com key before they go on the broker (see docs/operations.md "Secrets"). */
  private readonly box = new SecretBox(config().credentialsEncryptionKeys);

  constructor(private readonly broker: BrokerClient) {}

  private sealCalendar(
    calendar: CalendarInput | null | undefined,
    accountId: string,
  ): SealedCalendarInput | null | undefined {
    if (!calendar) return calendar;
    const { api_key, ...rest } = calendar;
    return {
      ...rest,
      api_key_sealed: this.box.encrypt(api_key, brokerSecretAad('calendar_api_key', accountId)),
    };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Import a number from your Twilio account into an agent',
    description:
      "Checks the formats, that the number is in the Twilio account, and that the agent is yours; then points the number's " +
      'Twilio webhooks at the engine. The auth token is stored encrypted and never returned.',
  })
  @ApiCreatedResponse({ type: PhoneNumberDto })
  @ApiErrors(
    [
      'invalid_phone_format',
      'invalid_twilio_sid',
      'custom_prompt_too_long',
      'invalid_template',
      'twilio_auth_failed',
      'twilio_number_not_found',
      'twilio_unavailable',
      'agent_not_found',
      'agent_not_owned',
      'number_already_imported',
    ],
    { body: true },
  )
  import(@CurrentPrincipal() p: Principal, @Body() body: ImportNumberBody): Promise<PhoneNumberDto> {
    const { twilio_token, calendar, ...rest } = body;
    return this.broker.request(
      NumbersCommands.numbersImport,
      {
        ...rest,
        calendar: this.sealCalendar(calendar, p.accountId),
        twilio_token_sealed: this.box.encrypt(twilio_token, brokerSecretAad('twilio_token', p.accountId)),
        account_id: p.accountId,
        api_key_id: p.keyId,
      },
      { timeoutMs: TWILIO_BOUND_TIMEOUT_MS },
    );
  }

  @Get()
  @ApiOperation({ summary: "List the account's numbers, newest first" })
  @ApiOkResponse({ type: PhoneNumberPage })
  @ApiErrors(['validation_failed', 'invalid_cursor'])
  list(@CurrentPrincipal() p: Principal, @Query() q: ListNumbersQuery): Promise<Page<PhoneNumberDto>> {
    return this.broker.request(NumbersCommands.numbersList, { ...q, account_id: p.accountId });
  }

  @Get(':phoneNumber')
  @ApiOperation({ summary: 'Get an imported number' })
  @PHONE_NUMBER
  @ApiOkResponse({ type: PhoneNumberDto })
  @ApiErrors(['invalid_phone_format', 'number_not_found'])
  get(@CurrentPrincipal() p: Principal, @Param('phoneNumber') phone: string): Promise<PhoneNumberDto> {
    return this.broker.request(NumbersCommands.numbersGet, { account_id: p.accountId, phone_number: phone });
  }

  @Patch(':phoneNumber')
  @ApiOperation({ summary: 'Change a number\'s settings: absent fields stay, null or "" clears' })
  @PHONE_NUMBER
  @ApiOkResponse({ type: PhoneNumberDto })
  @ApiErrors(['invalid_phone_format', 'number_not_found', 'custom_prompt_too_long', 'invalid_template'], {
    body: true,
  })
  update(
    @CurrentPrincipal() p: Principal,
    @Param('phoneNumber') phone: string,
    @Body() body: UpdateNumberBody,
  ): Promise<PhoneNumberDto> {
    const { calendar, ...rest } = body;
    return this.broker.request(NumbersCommands.numbersUpdate, {
      ...rest,
      ...(calendar !== undefined ? { calendar: this.sealCalendar(calendar, p.accountId) } : {}),
      account_id: p.accountId,
      phone_number: phone,
    });
  }

  @Delete(':phoneNumber')
  @ApiOperation({
    summary: 'Remove a number from the engine',
    description:
      "Clears the number's Twilio webhooks (or restores the pre-import ones) and forgets the number; it stays in " +
      'your Twilio account. Twilio unreachable: `502 twilio_unavailable` and nothing changes, so repeat the call.',
  })
  @PHONE_NUMBER
  @ApiOkResponse({ type: DeleteNumberResult })
  @ApiErrors(['validation_failed', 'invalid_phone_format', 'number_not_found', 'twilio_unavailable'])
  delete(
    @CurrentPrincipal() p: Principal,
    @Param('phoneNumber') phone: string,
    @Query() q: DeleteNumberQuery,
  ): Promise<DeleteNumberResult> {
    return this.broker.request(
      NumbersCommands.numbersDelete,
      { account_id: p.accountId, phone_number: phone, restore_webhooks: q.restore_webhooks },
      { timeoutMs: TWILIO_BOUND_TIMEOUT_MS },
    );
  }
}
