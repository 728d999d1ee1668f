import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
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
import { keysetPage, mapPage } from '@nixflex/common/db/keyset';
import { DataSource, EntityManager } from 'typeorm';
import { Agent } from './agent.entity';
import { toAgentDto } from './agent.mapper';

/** Hook the phone-numbers feature provides so an agent with numbers cannot be deleted. */
export abstract class AgentNumbersCounter {
  abstract countForAgent(manager: EntityManager, agentId: string): Promise<number>;
}

@Injectable()
export class AgentsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly outbox: Outbox,
    private readonly numbers: AgentNumbersCounter,
  ) {}

  async create(cmd: CreateAgentCommand): Promise<AgentDto> {
    const agent = await this.ds.transaction(async (m) => {
      const saved = await m.save(
        m.create(Agent, {
          id: newId('agent'),
          accountId: cmd.account_id,
          name: cmd.name,
          systemPrompt: cmd.system_prompt ?? '',
          voice: cmd.voice ?? null,
          webhookUrl: cmd.webhook_url ?? null,
          postCallSmsTemplate: cmd.post_call_sms_template ?? null,
          llmModel: cmd.llm_model ?? null,
        }),
      );
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
    const qb = this.ds
      .getRepository(Agent)
      .createQueryBuilder('a')
      .where('a.account_id = :account', { account: cmd.account_id });
    return mapPage(await keysetPage(qb, 'a', cmd), toAgentDto);
  }

  /** Another account's agent is reported exactly like a missing one. */
  async get(ref: AgentRef, manager: EntityManager = this.ds.manager): Promise<Agent> {
    const agent = await manager.findOneBy(Agent, { id: ref.agent_id, accountId: ref.account_id });
    if (!agent) throw new AppError('agent_not_found', `No agent ${ref.agent_id} in this account`);
    return agent;
  }

  async getDto(ref: AgentRef): Promise<AgentDto> {
    return toAgentDto(await this.get(ref));
  }

  async update(cmd: UpdateAgentCommand): Promise<AgentDto> {
    const agent = await this.ds.transaction(async (m) => {
      const a = await this.get(cmd, m);
      if (cmd.name !== undefined) a.name = cmd.name;
      if (cmd.system_prompt !== undefined) a.systemPrompt = cmd.system_prompt;
      if (cmd.voice !== undefined) a.voice = cmd.voice || null;
      if (cmd.webhook_url !== undefined) a.webhookUrl = cmd.webhook_url || null;
      if (cmd.post_call_sms_template !== undefined)
        a.postCallSmsTemplate = cmd.post_call_sms_template || null;
      if (cmd.llm_model !== undefined) a.llmModel = cmd.llm_model || null;
      const saved = await m.save(a);
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
    await this.ds.transaction(async (m) => {
      const a = await m
        .getRepository(Agent)
        .createQueryBuilder('a')
        .setLock('pessimistic_write')
        .where('a.id = :id AND a.account_id = :account', { id: ref.agent_id, account: ref.account_id })
        .getOne();
      if (!a) throw new AppError('agent_not_found', `No agent ${ref.agent_id} in this account`);
      const attached = await this.numbers.countForAgent(m, a.id);
      if (attached > 0) {
        throw new AppError(
          'agent_has_numbers',
          `Agent ${a.id} still has ${attached} phone number(s); delete them first`,
        );
      }
      await m.delete(Agent, { id: a.id });
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
