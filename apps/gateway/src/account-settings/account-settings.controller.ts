import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AccountSettingsDto, UpdateAccountSettingsBody } from '@nixflex/common';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';
import { API_KEY_SCHEME } from '../openapi/document';
import { ApiErrors } from '../openapi/errors';
import { AccountSettingsService } from './account-settings.service';

@ApiTags('account')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/account/settings')
export class AccountSettingsController {
  constructor(private readonly settings: AccountSettingsService) {}

  @Get()
  @ApiOperation({
    summary: "The account's settings",
    description: 'An account that never changed them has the defaults (destinations `["GB"]`).',
  })
  @ApiOkResponse({ type: AccountSettingsDto })
  @ApiErrors([])
  get(@CurrentPrincipal() p: Principal): Promise<AccountSettingsDto> {
    return this.settings.get(p.accountId);
  }

  @Patch()
  @ApiOperation({
    summary: "Change the account's settings",
    description:
      'Fields given replace what was stored; the others stay. `allowed_destination_countries` applies ' +
      'to SMS accepted from a moment after the answer (messaging learns of it by event), never to SMS already accepted.',
  })
  @ApiOkResponse({ type: AccountSettingsDto })
  @ApiErrors([], { body: true })
  update(
    @CurrentPrincipal() p: Principal,
    @Body() body: UpdateAccountSettingsBody,
  ): Promise<AccountSettingsDto> {
    return this.settings.update(p.accountId, body);
  }
}
