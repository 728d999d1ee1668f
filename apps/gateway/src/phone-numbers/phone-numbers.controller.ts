import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  BrokerClient,
  DeleteNumberQuery,
  DeleteNumberResult,
  ImportNumberBody,
  ListNumbersQuery,
  NumbersCommands,
  Page,
  PhoneNumberDto,
  UpdateNumberBody,
} from '@nixflex/common';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';

/** Import and delete call Twilio (two requests at most 5 s each) before they answer. */
const TWILIO_BOUND_TIMEOUT_MS = 30_000;

/**
 * `:phoneNumber` is E.164 written as `+447...` or `%2B447...`; the router
 * decodes `%2B` and leaves a literal `+` alone. The numbers service parses it.
 */
@Controller('v1/phone-numbers')
export class PhoneNumbersController {
  constructor(private readonly broker: BrokerClient) {}

  @Post()
  @HttpCode(201)
  import(@CurrentPrincipal() p: Principal, @Body() body: ImportNumberBody): Promise<PhoneNumberDto> {
    return this.broker.request(
      NumbersCommands.numbersImport,
      { ...body, account_id: p.accountId, api_key_id: p.keyId },
      { timeoutMs: TWILIO_BOUND_TIMEOUT_MS },
    );
  }

  @Get()
  list(@CurrentPrincipal() p: Principal, @Query() q: ListNumbersQuery): Promise<Page<PhoneNumberDto>> {
    return this.broker.request(NumbersCommands.numbersList, { ...q, account_id: p.accountId });
  }

  @Get(':phoneNumber')
  get(@CurrentPrincipal() p: Principal, @Param('phoneNumber') phone: string): Promise<PhoneNumberDto> {
    return this.broker.request(NumbersCommands.numbersGet, { account_id: p.accountId, phone_number: phone });
  }

  @Patch(':phoneNumber')
  update(
    @CurrentPrincipal() p: Principal,
    @Param('phoneNumber') phone: string,
    @Body() body: UpdateNumberBody,
  ): Promise<PhoneNumberDto> {
    return this.broker.request(NumbersCommands.numbersUpdate, {
      ...body,
      account_id: p.accountId,
      phone_number: phone,
    });
  }

  @Delete(':phoneNumber')
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
