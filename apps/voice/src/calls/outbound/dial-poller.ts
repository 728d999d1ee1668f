import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Poller } from '@nixflex/common/poll';
import { CallIdempotencyKeysRepository } from '../data/idempotency-keys.repository';
import { OutboundCallsRepository } from '../data/outbound-calls.repository';
import { CALL_IDEMPOTENCY_TTL_MS } from './call-accept.service';
import { DIAL_SETTINGS, DialSettings } from './dial.settings';
import { Dialler } from './dialler';

const BATCH = 50;
const CONCURRENCY = 4;
const HOUSEKEEPING_EVERY_MS = 60_000;

/**
 * The dialler's safety net, every CALLS_DIAL_POLL_MS: dials what came due
 * (retries after a backoff, claims abandoned by a dead worker - reconciled
 * first - and calls whose dial event was lost), so a kill -9 anywhere loses
 * no call and places none twice; and forgets idempotency keys after 24 h.
 */
@Injectable()
export class DialPoller implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DialPoller');
  private readonly poller: Poller;
  private stopped = false;
  private lastHousekeeping = 0;

  constructor(
    private readonly repo: OutboundCallsRepository,
    private readonly idempotencyKeys: CallIdempotencyKeysRepository,
    private readonly dialler: Dialler,
    @Inject(DIAL_SETTINGS) settings: DialSettings,
  ) {
    // Every period, failing or not (a failed tick is logged, not backed off).
    this.poller = new Poller({
      name: 'dial poller',
      intervalMs: settings.pollMs,
      maxBackoffMs: settings.pollMs,
      job: () => this.tick(),
      onError: (err) => this.logger.warn(`poll failed: ${(err as Error).message}`),
      logger: this.logger,
    });
  }

  onApplicationBootstrap(): void {
    this.poller.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.poller.stop();
  }

  private async tick(): Promise<void> {
    await this.dialDue();
    if (Date.now() - this.lastHousekeeping > HOUSEKEEPING_EVERY_MS) {
      this.lastHousekeeping = Date.now();
      await this.idempotencyKeys.purgeOlderThan(CALL_IDEMPOTENCY_TTL_MS);
    }
  }

  private async dialDue(): Promise<void> {
    const ids = await this.repo.dueForDial(BATCH);
    let next = 0;
    const worker = async () => {
      while (next < ids.length && !this.stopped) {
        const id = ids[next++];
        await this.dialler.dial(id).catch((err: Error) => this.logger.warn(`${id}: ${err.message}`));
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
  }
}
