import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AgentNumbersCounter } from '../agents/agents.service';
import { PhoneNumber } from './phone-number.entity';

/**
 * Counts an agent's numbers inside the agent deletion's transaction. The
 * deletion holds the agent row FOR UPDATE and an import's insert needs a
 * key-share lock on it (foreign key), so the two serialize: either the count
 * sees the new number, or the import fails with agent_not_found.
 */
@Injectable()
export class PhoneNumbersCounter extends AgentNumbersCounter {
  countForAgent(manager: EntityManager, agentId: string): Promise<number> {
    return manager.countBy(PhoneNumber, { agentId });
  }
}
