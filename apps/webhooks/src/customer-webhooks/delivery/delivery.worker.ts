import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PollResult, Poller } from '@nixflex/common/poll';
import { randomUUID } from 'node:crypto';
import { CUSTOMER_WEBHOOKS_CONFIG, CustomerWebhooksConfig } from '../customer-webhooks.config';
import { SecretsService } from '../secrets/secrets.service';
import { signCustomerWebhook } from '../secrets/signing';
import { ClaimedDelivery, DeliveriesRepository } from './deliveries.repository';
import { postCustomerWebhook } from './guarded-http';
import { judge } from './judge';

/** Time after the HTTP deadline before a claimed delivery is considered abandoned. */
const LEASE_MARGIN_MS = 5000;

/**
 * Polls for due deliveries and sends them, at most `concurrency` at a time
 * per process. Any number of webhooks instances can run: claims use
 * FOR UPDATE SKIP LOCKED and a lease, so each attempt is made by one of them,
 * and one that dies mid-attempt leaves the delivery to be retried when the
 * lease ends.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CustomerWebhooks');
  private readonly inFlight = new Set<Promise<void>>();
  private readonly poller: Poller;
  /** The last claim filled every free slot: more may be due when one frees up. */
  private saturated = false;

  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly secrets: SecretsService,
    @Inject(CUSTOMER_WEBHOOKS_CONFIG) private readonly cfg: CustomerWebhooksConfig,
  ) {
    this.poller = new Poller({
      name: 'delivery poller',
      intervalMs: cfg.pollMs,
      maxBackoffMs: 30_000,
      job: () => this.claimAndStart(),
      logger: this.logger,
    });
  }

  onApplicationBootstrap(): void {
    this.poller.start();
  }

  async onApplicationShutdown(): Promise<void> {
    // No claim after this; a claim under way may still start attempts, so wait for it first.
    // Let attempts in flight record their outcome; the lease covers the rest.
    const grace = new Promise((r) => setTimeout(r, this.cfg.timeoutMs + 1000).unref());
    await Promise.race([this.poller.stop(), grace]);
    await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
  }

  /** A delivery was queued: look now rather than at the next tick. */
  kick(): void {
    this.poller.kick();
  }

  /** Claims as many due deliveries as there are free slots and starts them. */
  private async claimAndStart(): Promise<PollResult> {
    const free = this.cfg.concurrency - this.inFlight.size;
    if (free <= 0) return 'idle';
    const claimed = await this.repo.claimDue(free, this.cfg.timeoutMs + LEASE_MARGIN_MS, randomUUID());
    for (const c of claimed) this.track(this.attempt(c));
    this.saturated = claimed.length === free;
    return this.saturated ? 'more' : 'idle';
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      // A slot freed up while more may be due.
      if (this.saturated) this.kick();
    });
  }

  private async attempt(c: ClaimedDelivery): Promise<void> {
    try {
      if (await this.repo.isEndpointDisabled(c.account_id, c.url)) {
        await this.repo.skipDisabled(c);
        return;
      }
      const secrets = await this.secrets.signingSecrets(c.account_id);
      const headers = signCustomerWebhook(secrets, c.event_id, new Date(), c.payload);
      const outcome = await postCustomerWebhook(
        c.url,
        c.payload,
        { ...headers },
        {
          timeoutMs: this.cfg.timeoutMs,
          allowLoopback: this.cfg.allowLoopback,
          httpsOnly: this.cfg.httpsOnly,
        },
      );
      if (outcome.kind !== 'response') {
        // The full reason (resolved address, raw socket error) is for operators; the tenant sees `outcome.error`.
        this.logger.warn(`delivery ${c.id} attempt ${c.attempt}: ${outcome.detail}`);
      }
      const result = judge(outcome, c.attempt, this.cfg);
      await this.repo.complete(c, result);
      if (result.status === 'failed') {
        this.logger.warn(`delivery ${c.id} (${c.event_id}) failed: ${result.failureReason}: ${result.error}`);
      }
    } catch (err) {
      // Not recorded: the lease runs out and the delivery is tried again.
      this.logger.error(
        `delivery ${c.id} attempt ${c.attempt} could not be recorded: ${(err as Error).message}`,
      );
    }
  }
}
