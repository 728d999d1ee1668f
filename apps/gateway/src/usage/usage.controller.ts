import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { USAGE_MAX_RANGE_DAYS, UsageQuery, UsageReportDto } from '@nixflex/common';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';
import { API_KEY_SCHEME } from '../openapi/document';
import { ApiErrors } from '../openapi/errors';
import { UsageService } from './usage.service';

@ApiTags('account')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/usage')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @ApiOperation({
    summary: 'LLM token usage by day and agent, and the monthly budget',
    description:
      "Tokens the account's agents used between `from` and `to` (UTC days, both included, at most " +
      `${USAGE_MAX_RANGE_DAYS} days), by day, agent and channel (SMS replies; call turns and call summaries), ` +
      'with totals; and the current month’s token budget, used and remaining (every agent, both channels).',
  })
  @ApiOkResponse({ type: UsageReportDto })
  @ApiErrors(['invalid_date_range', 'validation_failed'])
  get(@CurrentPrincipal() p: Principal, @Query() q: UsageQuery): Promise<UsageReportDto> {
    return this.usage.report(p.accountId, q);
  }
}
