import { Controller, Get, Query } from '@nestjs/common';
import { BrokerClient, ListOptOutsQuery, MessagingCommands, OptOutDto } from '@nixflex/common';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';

/** `GET /v1/opt-outs[?phone_number=]`: recipients who opted out of this account's numbers. */
@Controller('v1/opt-outs')
export class OptOutsController {
  constructor(private readonly broker: BrokerClient) {}

  @Get()
  list(@CurrentPrincipal() p: Principal, @Query() q: ListOptOutsQuery): Promise<{ data: OptOutDto[] }> {
    return this.broker.request(MessagingCommands.optOutsList, { ...q, account_id: p.accountId });
  }
}
