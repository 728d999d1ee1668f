import { Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import {
  AppError,
  BrokerClient,
  CampaignDto,
  CampaignPage,
  CampaignRecipientDto,
  CampaignRecipientPage,
  CampaignsCommands,
  CreateCampaignBody,
  ListCampaignRecipientsQuery,
  ListCampaignsQuery,
  Page,
} from '@nixflex/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';
import { ApiIdempotencyKey, IdempotencyKey } from '../idempotency/idempotency-key';
import { API_KEY_SCHEME } from '../openapi/document';
import { ApiErrors } from '../openapi/errors';
import { CampaignUpload, UploadPart } from './campaign-upload';

const CAMPAIGN_ID = { name: 'id', description: 'The campaign id (`cmp_...`)' };

@ApiTags('campaigns')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/campaigns')
export class CampaignsController {
  constructor(
    private readonly broker: BrokerClient,
    private readonly upload: CampaignUpload,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create a campaign: one message template to many recipients',
    description:
      'JSON with up to 10,000 `recipients`, or `multipart/form-data` with the same fields followed by a CSV file part ' +
      'named `recipients` (a header row with a `to` column; every other column is a variable) of up to 100,000 rows, ' +
      'read as it arrives. A recipient that cannot be sent to is skipped with a reason; a campaign with none to send ' +
      'is `422 campaign_no_recipients`. Quiet hours are respected unless `quiet_hours` is false.',
  })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({ type: CreateCampaignBody })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: CampaignDto })
  @ApiErrors(
    [
      'invalid_phone_format',
      'message_empty',
      'invalid_template',
      'number_not_found',
      'number_not_attached_to_agent',
      'agent_not_found',
      'invalid_send_at',
      'invalid_csv',
      'too_many_recipients',
      'campaign_no_recipients',
      'idempotency_key_reused',
      'idempotency_key_in_use',
    ],
    { body: true },
  )
  create(
    @CurrentPrincipal() p: Principal,
    @Req() req: FastifyRequest,
    @IdempotencyKey() idempotencyKey?: string,
  ): Promise<CampaignDto> {
    if (req.isMultipart()) {
      return this.upload.fromMultipart(p, req.parts() as AsyncIterable<UploadPart>, idempotencyKey);
    }
    return this.upload.fromJson(p, req.body, idempotencyKey);
  }

  @Get()
  @ApiOperation({ summary: "List the account's campaigns, newest first" })
  @ApiOkResponse({ type: CampaignPage })
  @ApiErrors(['validation_failed', 'invalid_cursor'])
  list(@CurrentPrincipal() p: Principal, @Query() q: ListCampaignsQuery): Promise<Page<CampaignDto>> {
    return this.broker.request(CampaignsCommands.list, { ...q, account_id: p.accountId });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a campaign with its counts by state and its ETA' })
  @ApiParam(CAMPAIGN_ID)
  @ApiOkResponse({ type: CampaignDto })
  @ApiErrors(['campaign_not_found'])
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<CampaignDto> {
    return this.broker.request(CampaignsCommands.get, ref(p, id));
  }

  @Get(':id/recipients')
  @ApiOperation({ summary: "A campaign's recipients in the order given, with their state" })
  @ApiParam(CAMPAIGN_ID)
  @ApiOkResponse({ type: CampaignRecipientPage })
  @ApiErrors(['campaign_not_found', 'validation_failed', 'invalid_cursor'])
  recipients(
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Query() q: ListCampaignRecipientsQuery,
  ): Promise<Page<CampaignRecipientDto>> {
    return this.broker.request(CampaignsCommands.recipients, { ...q, ...ref(p, id) });
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause a campaign: nothing more is released until it is resumed' })
  @ApiParam(CAMPAIGN_ID)
  @ApiOkResponse({ type: CampaignDto })
  @ApiErrors(['campaign_not_found', 'campaign_not_pausable'])
  pause(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<CampaignDto> {
    return this.broker.request(CampaignsCommands.pause, ref(p, id));
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused campaign' })
  @ApiParam(CAMPAIGN_ID)
  @ApiOkResponse({ type: CampaignDto })
  @ApiErrors(['campaign_not_found', 'campaign_not_resumable'])
  resume(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<CampaignDto> {
    return this.broker.request(CampaignsCommands.resume, ref(p, id));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a campaign',
    description:
      'Every message not yet handed to Twilio is canceled; messages already at Twilio are not (they cannot be unsent).',
  })
  @ApiParam(CAMPAIGN_ID)
  @ApiOkResponse({ type: CampaignDto })
  @ApiErrors(['campaign_not_found', 'campaign_not_cancelable'])
  cancel(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<CampaignDto> {
    return this.broker.request(CampaignsCommands.cancel, ref(p, id));
  }
}

function ref(p: Principal, id: string): { account_id: string; campaign_id: string } {
  if (id.length > 64)
    throw new AppError('campaign_not_found', `No campaign ${id.slice(0, 64)}... in this account`);
  return { account_id: p.accountId, campaign_id: id };
}
