import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CustomerEvents, Outbox } from '@nixflex/common';
import { Poller } from '@nixflex/common/poll';
import { CampaignQueryService } from './campaign-query.service';
import { CampaignsRepository } from './campaigns.repository';

const BATCH = 20;
const EVERY_MS = 1000;

/**
 * Ends campaigns: a running (or canceled) campaign with no message left for
 * the sender (none `scheduled`, none pending, in flight or uncertain) is
 * marked completed, and its `campaign.completed` event is written to the
 * outbox in the same transaction, so it is announced exactly once. Delivery
 * receipts that arrive later still update its counts.
 */
@Injectable()
export class CampaignCompleter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CampaignCompleter');
  private readonly poller: Poller;

  constructor(
    private readonly repo: CampaignsRepository,
    private readonly query: CampaignQueryService,
    private readonly outbox: Outbox,
  ) {
    this.poller = new Poller({
      name: 'campaign completer',
      intervalMs: EVERY_MS,
      maxBackoffMs: 10_000,
      job: async () => ((await this.run()) === BATCH ? 'more' : 'idle'),
      onError: (err) => this.logger.warn(`completion check failed: ${(err as Error).message}`),
      logger: this.logger,
    });
  }

  onApplicationBootstrap(): void {
    this.poller.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.poller.stop();
  }

  async run(): Promise<number> {
    const done = await this.repo.transaction(async (m) => {
      const finished = await this.repo.completeFinished(m, BATCH);
      const tallies = await this.repo.tallies(
        finished.map((c) => c.id),
        m,
      );
      for (const c of finished) {
        const dto = await this.query.toDto(c, tallies.get(c.id));
        await this.outbox.add(m, CustomerEvents.emit, {
          event_id: `evt_campaign_completed_${c.id}`,
          account_id: c.accountId,
          phone_number: c.fromNumber,
          agent_id: c.agentId,
          type: 'campaign.completed',
          occurred_at: (c.completedAt ?? new Date()).toISOString(),
          data: {
            campaign_id: c.id,
            name: c.name,
            status: dto.status,
            from_number: c.fromNumber,
            recipients_total: dto.recipients_total,
            counts: dto.counts,
            skipped_by_reason: dto.skipped_by_reason,
            segments_total: dto.segments_total,
            created_at: dto.created_at,
            canceled_at: dto.canceled_at,
            completed_at: dto.completed_at,
          },
        });
      }
      return finished.length;
    });
    if (done > 0) this.outbox.kick();
    return done;
  }
}
