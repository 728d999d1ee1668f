import { Module } from '@nestjs/common';
import { PhoneNumbersCounter } from '../phone-numbers/agent-numbers.counter';
import { AgentNumbersCounter, AgentsService } from './agents.service';
import { AgentsHandler } from './agents.handler';
import { AgentsRepository } from './agents.repository';

@Module({
  providers: [
    AgentsService,
    AgentsRepository,
    { provide: AgentNumbersCounter, useClass: PhoneNumbersCounter },
  ],
  controllers: [AgentsHandler],
  exports: [AgentsService],
})
export class AgentsModule {}
