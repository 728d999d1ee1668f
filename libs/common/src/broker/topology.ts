/**
 * Names of every exchange and queue. All carry the configured prefix, so
 * several stacks (parallel test runs, benchmarks) can share one broker.
 *
 *   <p>.commands  direct  request/reply commands, one queue per owning service
 *   <p>.events    topic   events fanned out, one durable queue per consumer
 *   <p>.dlx       direct  dead letters, one inspectable queue per service
 */
export type ServiceName = 'gateway' | 'numbers' | 'messaging' | 'webhooks' | 'voice';

export class Topology {
  constructor(readonly prefix: string) {}

  get commandsExchange(): string {
    return `${this.prefix}.commands`;
  }
  get eventsExchange(): string {
    return `${this.prefix}.events`;
  }
  get deadLetterExchange(): string {
    return `${this.prefix}.dlx`;
  }
  commandQueue(service: ServiceName): string {
    return `${this.prefix}.${service}.commands`;
  }
  eventQueue(service: ServiceName): string {
    return `${this.prefix}.${service}.events`;
  }
  retryQueue(service: ServiceName): string {
    return `${this.prefix}.${service}.retry`;
  }
  deadQueue(service: ServiceName): string {
    return `${this.prefix}.${service}.dead`;
  }
  allQueues(service: ServiceName): string[] {
    return [
      this.commandQueue(service),
      this.eventQueue(service),
      this.retryQueue(service),
      this.deadQueue(service),
    ];
  }
  allExchanges(): string[] {
    return [this.commandsExchange, this.eventsExchange, this.deadLetterExchange];
  }
}

export const SERVICES: ServiceName[] = ['gateway', 'numbers', 'messaging', 'webhooks', 'voice'];

/** Headers the transport sets on messages it moves between queues. */
export const HEADER_ATTEMPTS = 'x-nixflex-attempts';
export const HEADER_ERROR = 'x-nixflex-error';
export const HEADER_ORIGINAL_ROUTING_KEY = 'x-nixflex-routing-key';
