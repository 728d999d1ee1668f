import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CUSTOMER_WEBHOOKS_CONFIG, CustomerWebhooksConfig } from '../customer-webhooks.config';
import { SecretsService } from '../secrets/secrets.service';
import { signWebhook } from '../secrets/signing';
import { ClaimedDelivery, DeliveriesRepository } from './deliveries.repository';
import { postWebhook } from './guarded-http';
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
  private timer?: NodeJS.Timeout;
  private polling = false;
  private again = false;
  private stopped = false;
  private failures = 0;

  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly secrets: SecretsService,
    @Inject(CUSTOMER_WEBHOOKS_CONFIG) private readonly cfg: CustomerWebhooksConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // Let attempts in flight record their outcome; the lease covers the rest.
    const grace = new Promise((r) => setTimeout(r, this.cfg.timeoutMs + 1000).unref());
    await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
  }

  /** A delivery was queued: look now rather than at the next tick. */
  kick(): void {
    if (this.stopped) return;
    setImmediate(() => void this.poll());
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay =
      this.failures === 0 ? this.cfg.pollMs : Math.min(this.cfg.pollMs * 2 ** this.failures, 30_000);
    this.timer = setTimeout(() => void this.poll().finally(() => this.schedule()), delay);
    this.timer.unref();
  }

  async poll(): Promise<void> {
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = true;
    try {
      do {
        this.again = false;
        const free = this.cfg.concurrency - this.inFlight.size;
        if (free <= 0 || this.stopped) break;
        const claimed = await this.repo.claimDue(free, this.cfg.timeoutMs + LEASE_MARGIN_MS, randomUUID());
        for (const c of claimed) this.track(this.attempt(c));
        if (claimed.length === free) this.again = true;
      } while (this.again && !this.stopped);
      this.failures = 0;
    } catch (err) {
      this.failures = Math.min(this.failures + 1, 6);
      if (this.failures === 1) this.logger.warn(`delivery poller paused: ${(err as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      // A slot freed up while more may be due.
      if (this.again) this.kick();
    });
  }

  private async attempt(c: ClaimedDelivery): Promise<void> {
    try {
      if (await this.repo.isEndpointDisabled(c.account_id, c.url)) {
        await this.repo.skipDisabled(c);
        return;
      }
      const secrets = await this.secrets.signingSecrets(c.account_id);
      const headers = signWebhook(secrets, c.event_id, new Date(), c.payload);
      const outcome = await postWebhook(
        c.url,
        c.payload,
        { ...headers },
        {
          timeoutMs: this.cfg.timeoutMs,
          allowLoopback: this.cfg.allowLoopback,
          httpsOnly: this.cfg.httpsOnly,
        },
      );
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
