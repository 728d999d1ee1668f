import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AgentDto,
  AgentRef,
  CreateAgentCommand,
  ListAgentsCommand,
  NumbersCommands,
  Page,
  UpdateAgentCommand,
} from '@nixflex/common';
import { AgentsService } from './agents.service';

@Controller()
export class AgentsHandler {
  constructor(private readonly agents: AgentsService) {}

  @MessagePattern(NumbersCommands.agentsCreate)
  create(@Payload() cmd: CreateAgentCommand): Promise<AgentDto> {
    return this.agents.create(cmd);
  }

  @MessagePattern(NumbersCommands.agentsList)
  list(@Payload() cmd: ListAgentsCommand): Promise<Page<AgentDto>> {
    return this.agents.list(cmd);
  }

  @MessagePattern(NumbersCommands.agentsGet)
  get(@Payload() ref: AgentRef): Promise<AgentDto> {
    return this.agents.getDto(ref);
  }

  @MessagePattern(NumbersCommands.agentsUpdate)
  update(@Payload() cmd: UpdateAgentCommand): Promise<AgentDto> {
    return this.agents.update(cmd);
  }

  @MessagePattern(NumbersCommands.agentsDelete)
  delete(@Payload() ref: AgentRef): Promise<{ id: string; deleted: true }> {
    return this.agents.delete(ref);
  }
}
