import { Controller, UseFilters, UsePipes } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { CustomerEventEmit, CustomerEvents, RpcErrorFilter, createValidationPipe } from '@nixflex/common';
import { CustomerEventsIntake } from './customer-events.intake';

/**
 * Pipes and filters are declared here as well as globally: in the webhooks
 * process (HTTP app with a connected microservice) the global RPC filter did
 * not reach message handlers, so an AppError crossed as internal_error.
 */
@UsePipes(createValidationPipe())
@UseFilters(new RpcErrorFilter())
@Controller()
export class CustomerEventsHandler {
  constructor(private readonly intake: CustomerEventsIntake) {}

  /** Validated like an HTTP body: a malformed event is dead-lettered with its reason, not retried. */
  @EventPattern(CustomerEvents.emit)
  onEmit(@Payload() event: CustomerEventEmit): Promise<void> {
    return this.intake.accept(event);
  }
}
