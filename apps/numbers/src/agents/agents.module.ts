import { Module } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AgentNumbersCounter, AgentsService } from './agents.service';
import { AgentsHandler } from './agents.handler';

/**
 * Until phone numbers exist no agent has any. The phone-numbers feature
 * replaces this provider with one that counts its rows.
 */
class NoNumbers extends AgentNumbersCounter {
  countForAgent(_m: EntityManager, _agentId: string): Promise<number> {
    return Promise.resolve(0);
  }
}

@Module({
  providers: [AgentsService, { provide: AgentNumbersCounter, useClass: NoNumbers }],
  controllers: [AgentsHandler],
  exports: [AgentsService],
})
export class AgentsModule {}
