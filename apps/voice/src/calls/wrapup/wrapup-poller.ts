import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { config } from '@nixflex/common';
import { PollResult, Poller } from '@nixflex/common/poll';
import { WrapupRepository } from '../data/wrapup.repository';
import { CallWrapup } from './call-wrapup';

/** Wrap-ups run at once per process. */
const CONCURRENCY = 4;
/** Most wrap-ups claimed per tick before the poller reports that more may be due. */
const BATCH = 50;

/**
 * Finds ended calls whose wrap-up is due, every VOICE_WRAPUP_POLL_MS: each
 * worker claims one call at a time (SKIP LOCKED, with a lease of
 * VOICE_WRAPUP_LEASE_MS) and runs it, so several voice instances share the
 * work, and a wrap-up whose process died is taken up again when its lease
 * ends. Nothing lives only in memory: the row is the queue.
 */
@Injectable()
export class WrapupPoller implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WrapupPoller');
  private readonly poller: Poller;
  private readonly settings = config().voice;
  private stopped = false;

  constructor(
    private readonly repo: WrapupRepository,
    private readonly wrapup: CallWrapup,
  ) {
    this.poller = new Poller({
      name: 'wrap-up poller',
      intervalMs: this.settings.wrapupPollMs,
      maxBackoffMs: Math.max(this.settings.wrapupPollMs, 30_000),
      job: () => this.tick(),
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

  /** Runs due wrap-ups until none is due or a batch is done. */
  async tick(): Promise<PollResult> {
    let claimed = 0;
    const worker = async () => {
      while (!this.stopped && claimed < BATCH) {
        const claim = await this.repo.claimNext(this.settings.wrapupLeaseMs);
        if (!claim) return;
        claimed++;
        await this.wrapup.run(claim).catch((err: Error) => this.logger.warn(`${claim.id}: ${err.message}`));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return claimed >= BATCH ? 'more' : 'idle';
  }
}
