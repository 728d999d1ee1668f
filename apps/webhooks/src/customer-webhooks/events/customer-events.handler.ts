import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { CustomerEventEmit, CustomerEvents } from '@nixflex/common';
import { CustomerEventsIntake } from './customer-events.intake';

@Controller()
export class CustomerEventsHandler {
  constructor(private readonly intake: CustomerEventsIntake) {}

  /** Validated like an HTTP body: a malformed event is dead-lettered with its reason, not retried. */
  @EventPattern(CustomerEvents.emit)
  onEmit(@Payload() event: CustomerEventEmit): Promise<void> {
    return this.intake.accept(event);
  }
}
