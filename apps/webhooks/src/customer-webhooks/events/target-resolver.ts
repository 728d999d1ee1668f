import { Injectable, Logger } from '@nestjs/common';
import { AppError, BrokerClient, CustomerEventEmit, NumbersCommands } from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';

/**
 * Where a customer event goes: the number's webhook_url (the resolver already
 * falls back to its agent's), or, for an event about no number, the agent's.
 * null = the customer configured no webhook for it.
 */
@Injectable()
export class TargetResolver {
  private readonly logger = new Logger('CustomerWebhooks');

  constructor(
    private readonly numbers: NumberResolver,
    private readonly broker: BrokerClient,
  ) {}

  async urlFor(event: CustomerEventEmit): Promise<string | null> {
    try {
      if (event.phone_number) {
        const resolved = await this.numberUrl(event);
        if (resolved !== undefined) return resolved;
      }
      if (event.agent_id) return await this.agentUrl(event.account_id, event.agent_id);
      return null;
    } catch (err) {
      // The transport dead-letters AppErrors at once; an unreachable service is
      // worth retrying, so it leaves as a plain error.
      if (
        err instanceof AppError &&
        (err.code === 'upstream_timeout' || err.code === 'service_unavailable')
      ) {
        throw new Error(`resolving the webhook target failed: ${err.code}: ${err.message}`);
      }
      throw err;
    }
  }

  /** undefined = the number is gone; the caller falls back to the agent. */
  private async numberUrl(event: CustomerEventEmit): Promise<string | null | undefined> {
    try {
      const n = await this.numbers.resolve(event.phone_number!);
      if (n.account_id !== event.account_id) {
        this.logger.warn(
          `event ${event.event_id}: ${event.phone_number} is not in ${event.account_id}; not sent`,
        );
        return null;
      }
      return n.webhook_url;
    } catch (err) {
      if (err instanceof AppError && err.code === 'number_not_found') return undefined;
      throw err;
    }
  }

  private async agentUrl(accountId: string, agentId: string): Promise<string | null> {
    try {
      const agent = await this.broker.request(NumbersCommands.agentsGet, {
        account_id: accountId,
        agent_id: agentId,
      });
      return agent.webhook_url;
    } catch (err) {
      if (err instanceof AppError && err.code === 'agent_not_found') return null;
      throw err;
    }
  }
}
