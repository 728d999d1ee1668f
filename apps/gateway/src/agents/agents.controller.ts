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
  AgentDeletedDto,
  AgentDto,
  AgentPage,
  BrokerClient,
  CreateAgentBody,
  NumbersCommands,
  Page,
  PageQuery,
  UpdateAgentBody,
} from '@nixflex/common';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';
import { API_KEY_SCHEME } from '../openapi/document';
import { ApiErrors } from '../openapi/errors';

const AGENT_ID = ApiParam({ name: 'id', description: 'Agent id', example: 'agent_125207e452f8714a' });

@ApiTags('agents')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/agents')
export class AgentsController {
  constructor(private readonly broker: BrokerClient) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an agent (one prompt and personality)' })
  @ApiCreatedResponse({ type: AgentDto })
  @ApiErrors(['invalid_template', 'model_not_allowed'], { body: true })
  create(@CurrentPrincipal() p: Principal, @Body() body: CreateAgentBody): Promise<AgentDto> {
    return this.broker.request(NumbersCommands.agentsCreate, { ...body, account_id: p.accountId });
  }

  @Get()
  @ApiOperation({ summary: "List the account's agents, newest first" })
  @ApiOkResponse({ type: AgentPage })
  @ApiErrors(['validation_failed', 'invalid_cursor'])
  list(@CurrentPrincipal() p: Principal, @Query() q: PageQuery): Promise<Page<AgentDto>> {
    return this.broker.request(NumbersCommands.agentsList, { ...q, account_id: p.accountId });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an agent' })
  @AGENT_ID
  @ApiOkResponse({ type: AgentDto })
  @ApiErrors(['agent_not_found'])
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<AgentDto> {
    return this.broker.request(NumbersCommands.agentsGet, { account_id: p.accountId, agent_id: id });
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change an agent: absent fields stay, null clears' })
  @AGENT_ID
  @ApiOkResponse({ type: AgentDto })
  @ApiErrors(['agent_not_found', 'invalid_template', 'model_not_allowed'], { body: true })
  update(
    @CurrentPrincipal() p: Principal,
    @Param('id') id: string,
    @Body() body: UpdateAgentBody,
  ): Promise<AgentDto> {
    return this.broker.request(NumbersCommands.agentsUpdate, {
      ...body,
      account_id: p.accountId,
      agent_id: id,
    });
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete an agent that has no phone numbers' })
  @AGENT_ID
  @ApiOkResponse({ type: AgentDeletedDto })
  @ApiErrors(['agent_not_found', 'agent_has_numbers'])
  delete(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<AgentDeletedDto> {
    return this.broker.request(NumbersCommands.agentsDelete, { account_id: p.accountId, agent_id: id });
  }
}
