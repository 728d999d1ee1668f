import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { BrokerClient, ListOptOutsQuery, MessagingCommands, OptOutList } from '@nixflex/common';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';
import { API_KEY_SCHEME } from '../openapi/document';
import { ApiErrors } from '../openapi/errors';

/** `GET /v1/opt-outs[?phone_number=]`: recipients who opted out of this account's numbers. */
@ApiTags('sms')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/opt-outs')
export class OptOutsController {
  constructor(private readonly broker: BrokerClient) {}

  @Get()
  @ApiOperation({
    summary: "Recipients who opted out of this account's numbers (STOP, or Twilio error 21610)",
  })
  @ApiOkResponse({ type: OptOutList })
  @ApiErrors(['validation_failed'])
  list(@CurrentPrincipal() p: Principal, @Query() q: ListOptOutsQuery): Promise<OptOutList> {
    return this.broker.request(MessagingCommands.optOutsList, { ...q, account_id: p.accountId });
  }
}
