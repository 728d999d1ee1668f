import { Controller, Module } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { AgentChangedEvent, NumberChangedEvent, NumbersEvents } from '../contracts';
import { NumberResolver } from './number-resolver';

/**
 * Keeps this process's NumberResolver cache honest: every number or agent
 * change drops what it affects. Binds the two events to the importing
 * service's event queue.
 */
@Controller()
export class NumberResolverEvents {
  constructor(private readonly resolver: NumberResolver) {}

  @EventPattern(NumbersEvents.numberChanged)
  onNumberChanged(@Payload() event: NumberChangedEvent): void {
    if (typeof event?.phone_number === 'string') this.resolver.invalidate(event.phone_number);
    else this.resolver.invalidate();
  }

  @EventPattern(NumbersEvents.agentChanged)
  onAgentChanged(@Payload() event: AgentChangedEvent): void {
    if (typeof event?.agent_id === 'string') this.resolver.invalidateAgent(event.agent_id);
    else this.resolver.invalidate();
  }
}

/**
 * Import in any service that acts on a phone number (SMS, inbound, calls):
 * `imports: [NumberResolverModule]`, then inject NumberResolver. Needs
 * CoreModule (BrokerClient) in the same application.
 */
@Module({
  controllers: [NumberResolverEvents],
  providers: [NumberResolver],
  exports: [NumberResolver],
})
export class NumberResolverModule {}
