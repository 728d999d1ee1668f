import { Injectable } from '@nestjs/common';
import {
  AgentDto,
  AgentRef,
  AppError,
  CreateAgentCommand,
  ListAgentsCommand,
  NumbersEvents,
  Outbox,
  Page,
  UpdateAgentCommand,
  newId,
} from '@nixflex/common';
import { mapPage } from '@nixflex/common/db/keyset';
import { EntityManager } from 'typeorm';
import { Agent } from './agent.entity';
import { AgentsRepository } from './agents.repository';
import { toAgentDto } from './agent.mapper';
import { checkLlmModel } from './llm-model';
import { normalizePostCallTemplate } from './post-call-template';
import { normalizeWelcomeGreeting } from './welcome-greeting';

/** Hook the phone-numbers feature provides so an agent with numbers cannot be deleted. */
export abstract class AgentNumbersCounter {
  abstract countForAgent(manager: EntityManager, agentId: string): Promise<number>;
}

@Injectable()
export class AgentsService {
  constructor(
    private readonly agents: AgentsRepository,
    private readonly outbox: Outbox,
    private readonly numbers: AgentNumbersCounter,
  ) {}

  async create(cmd: CreateAgentCommand): Promise<AgentDto> {
    const postCallSmsTemplate = normalizePostCallTemplate(cmd.post_call_sms_template) ?? null;
    const llmModel = checkLlmModel(cmd.llm_model) ?? null;
    const agent = await this.agents.transaction(async (m) => {
      const saved = await this.agents.save(m, {
        id: newId('agent'),
        accountId: cmd.account_id,
        name: cmd.name,
        systemPrompt: cmd.system_prompt ?? '',
        voice: cmd.voice ?? null,
        webhookUrl: cmd.webhook_url ?? null,
        postCallSmsTemplate,
        llmModel,
        welcomeGreeting: normalizeWelcomeGreeting(cmd.welcome_greeting) ?? null,
      });
      await this.outbox.add(m, NumbersEvents.agentChanged, {
        agent_id: saved.id,
        account_id: saved.accountId,
        change: 'created',
      });
      return saved;
    });
    this.outbox.kick();
    return toAgentDto(agent);
  }

  async list(cmd: ListAgentsCommand): Promise<Page<AgentDto>> {
    return mapPage(await this.agents.list(cmd.account_id, cmd), toAgentDto);
  }

  /** Another account's agent is reported exactly like a missing one. */
  async get(ref: AgentRef, manager?: EntityManager): Promise<Agent> {
    const agent = await this.agents.find(ref.account_id, ref.agent_id, manager);
    if (!agent) throw new AppError('agent_not_found', `No agent ${ref.agent_id} in this account`);
    return agent;
  }

  async getDto(ref: AgentRef): Promise<AgentDto> {
    return toAgentDto(await this.get(ref));
  }

  async update(cmd: UpdateAgentCommand): Promise<AgentDto> {
    const welcomeGreeting = normalizeWelcomeGreeting(cmd.welcome_greeting);
    const postCallSmsTemplate = normalizePostCallTemplate(cmd.post_call_sms_template);
    const llmModel = checkLlmModel(cmd.llm_model);
    const agent = await this.agents.transaction(async (m) => {
      const a = await this.get(cmd, m);
      if (cmd.name !== undefined) a.name = cmd.name;
      if (cmd.system_prompt !== undefined) a.systemPrompt = cmd.system_prompt;
      if (cmd.voice !== undefined) a.voice = cmd.voice || null;
      if (cmd.webhook_url !== undefined) a.webhookUrl = cmd.webhook_url || null;
      if (postCallSmsTemplate !== undefined) a.postCallSmsTemplate = postCallSmsTemplate;
      if (llmModel !== undefined) a.llmModel = llmModel;
      if (welcomeGreeting !== undefined) a.welcomeGreeting = welcomeGreeting;
      const saved = await this.agents.save(m, a);
      await this.outbox.add(m, NumbersEvents.agentChanged, {
        agent_id: a.id,
        account_id: a.accountId,
        change: 'updated',
      });
      return saved;
    });
    this.outbox.kick();
    return toAgentDto(agent);
  }

  async delete(ref: AgentRef): Promise<{ id: string; deleted: true }> {
    await this.agents.transaction(async (m) => {
      const a = await this.agents.findForUpdate(m, ref.account_id, ref.agent_id);
      if (!a) throw new AppError('agent_not_found', `No agent ${ref.agent_id} in this account`);
      const attached = await this.numbers.countForAgent(m, a.id);
      if (attached > 0) {
        throw new AppError(
          'agent_has_numbers',
          `Agent ${a.id} still has ${attached} phone number(s); delete them first`,
        );
      }
      await this.agents.remove(m, a.id);
      await this.outbox.add(m, NumbersEvents.agentChanged, {
        agent_id: a.id,
        account_id: a.accountId,
        change: 'deleted',
      });
    });
    this.outbox.kick();
    return { id: ref.agent_id, deleted: true };
  }
}
