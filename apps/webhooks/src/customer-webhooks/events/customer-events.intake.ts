import { Injectable, Logger } from '@nestjs/common';
import { CustomerEventEmit, CustomerWebhookBody, claimInbox, newId } from '@nixflex/common';
import { DeliveriesRepository } from '../delivery/deliveries.repository';
import { DeliveryWorker } from '../delivery/delivery.worker';
import { TargetResolver } from './target-resolver';

export const INBOX_HANDLER = 'customer-webhooks.emit';

/** The exact JSON the customer receives, fixed when the event is accepted so every retry sends the same bytes. */
export function customerWebhookBody(e: CustomerEventEmit): string {
  const body: CustomerWebhookBody = {
    id: e.event_id,
    type: e.type,
    timestamp: new Date(e.occurred_at).toISOString(),
    account_id: e.account_id,
    phone_number: e.phone_number ?? null,
    agent_id: e.agent_id ?? null,
    data: e.data,
  };
  return JSON.stringify(body);
}

/**
 * Accepts a customer event: resolves its URL, then records the delivery and
 * the inbox claim (on event_id) in one transaction, so a redelivered or
 * republished event is queued once. An event with no webhook configured
 * leaves only the inbox row.
 */
@Injectable()
export class CustomerEventsIntake {
  private readonly logger = new Logger('CustomerWebhooks');

  constructor(
    private readonly targets: TargetResolver,
    private readonly repo: DeliveriesRepository,
    private readonly worker: DeliveryWorker,
  ) {}

  async accept(event: CustomerEventEmit): Promise<void> {
    const url = await this.targets.urlFor(event);
    const queued = await this.repo.transaction(async (m) => {
      if (!(await claimInbox(m, 'webhooks', event.event_id, INBOX_HANDLER))) return false;
      if (!url) {
        this.logger.debug(`event ${event.event_id} (${event.type}): no webhook_url configured; not sent`);
        return false;
      }
      const skipped = await this.repo.isEndpointDisabled(event.account_id, url, m);
      return this.repo.insert(
        {
          id: newId('whd'),
          accountId: event.account_id,
          eventId: event.event_id,
          eventType: event.type,
          phoneNumber: event.phone_number ?? null,
          agentId: event.agent_id ?? null,
          url,
          payload: customerWebhookBody(event),
          skipped,
        },
        m,
      );
    });
    if (queued) this.worker.kick();
  }
}
