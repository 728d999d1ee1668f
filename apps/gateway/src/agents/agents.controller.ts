import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  AgentDto,
  BrokerClient,
  CreateAgentBody,
  NumbersCommands,
  Page,
  PageQuery,
  UpdateAgentBody,
} from '@nixflex/common';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';

@Controller('v1/agents')
export class AgentsController {
  constructor(private readonly broker: BrokerClient) {}

  @Post()
  @HttpCode(201)
  create(@CurrentPrincipal() p: Principal, @Body() body: CreateAgentBody): Promise<AgentDto> {
    return this.broker.request(NumbersCommands.agentsCreate, { ...body, account_id: p.accountId });
  }

  @Get()
  list(@CurrentPrincipal() p: Principal, @Query() q: PageQuery): Promise<Page<AgentDto>> {
    return this.broker.request(NumbersCommands.agentsList, { ...q, account_id: p.accountId });
  }

  @Get(':id')
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<AgentDto> {
    return this.broker.request(NumbersCommands.agentsGet, { account_id: p.accountId, agent_id: id });
  }

  @Patch(':id')
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
  delete(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<{ id: string; deleted: true }> {
    return this.broker.request(NumbersCommands.agentsDelete, { account_id: p.accountId, agent_id: id });
  }
}
