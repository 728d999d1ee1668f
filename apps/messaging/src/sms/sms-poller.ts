import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Clock, Outbox } from '@nixflex/common';
import { Poller } from '@nixflex/common/poll';
import { IDEMPOTENCY_TTL_MS } from './accept/send.service';
import { IdempotencyKeysRepository, MessagesRepository, StatusCallbacksRepository } from './data';
import { SmsDispatcher } from './dispatch/dispatcher';
import { WaitingEnds } from './schedule/waiting-ends';
import { SMS_SETTINGS, SmsSettings } from './sms.settings';
import { ErrorCodeBackfill } from './status/error-backfill';
import { StatusMachine } from './status/status-machine';
import { StatusReconciler } from './status/status-reconciler';

const BATCH = 100;
const CONCURRENCY = 8;
const HOUSEKEEPING_EVERY_MS = 60_000;
const ORPHAN_CALLBACK_TTL_MS = 7 * 24 * 3600_000;

/**
 * The sender's safety net, every SMS_DISPATCH_POLL_MS:
 * - ends queued messages not claimed yet whose `expires_at` passed
 *   (`failed`/`expired`, by the injected clock), before sending;
 * - sends what came due: retries after a backoff, claims abandoned by a dead
 *   worker (lease expired: reconciled first), and messages whose dispatch
 *   event was lost - so a kill -9 anywhere loses nothing;
 * - flags messages resting in `sent` past SMS_SENT_SOFT_FAILURE_AFTER_MS;
 * - asks Twilio for error codes that a failure callback lacked;
 * - forgets idempotency keys after 24 h and never-matched callbacks after 7 days.
 */
@Injectable()
export class SmsPoller implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SmsPoller');
  private readonly poller: Poller;
  private stopped = false;
  private lastHousekeeping = 0;

  constructor(
    private readonly repo: MessagesRepository,
    private readonly callbacks: StatusCallbacksRepository,
    private readonly idempotencyKeys: IdempotencyKeysRepository,
    private readonly dispatcher: SmsDispatcher,
    private readonly machine: StatusMachine,
    private readonly outbox: Outbox,
    private readonly errorCodes: ErrorCodeBackfill,
    private readonly reconciler: StatusReconciler,
    private readonly ends: WaitingEnds,
    private readonly clock: Clock,
    @Inject(SMS_SETTINGS) private readonly settings: SmsSettings,
  ) {
    // Every period, failing or not (a failed tick is logged, not backed off).
    this.poller = new Poller({
      name: 'sms poller',
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
    // A failed expiry step must not stop the sending below; the next tick tries again.
    await this.ends
      .expireDue('queued', this.clock.now(), BATCH, 'sender')
      .catch((err: Error) => this.logger.warn(`expiry failed: ${err.message}`));
    await this.dispatchDue();
    await this.flagSoftFailures();
    await this.errorCodes.run();
    await this.reconciler.run();
    if (Date.now() - this.lastHousekeeping > HOUSEKEEPING_EVERY_MS) {
      this.lastHousekeeping = Date.now();
      await this.idempotencyKeys.purgeOlderThan(IDEMPOTENCY_TTL_MS);
      await this.callbacks.purgeOrphans(ORPHAN_CALLBACK_TTL_MS);
    }
  }

  private async dispatchDue(): Promise<void> {
    const ids = await this.repo.dueForDispatch(BATCH);
    let next = 0;
    const worker = async () => {
      while (next < ids.length && !this.stopped) {
        const id = ids[next++];
        await this.dispatcher.dispatch(id).catch((err: Error) => this.logger.warn(`${id}: ${err.message}`));
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
  }

  private async flagSoftFailures(): Promise<void> {
    const flagged = await this.repo.transaction(async (m) => {
      const stuck = await this.repo.lockStuckInSent(m, this.settings.softFailureAfterMs, BATCH);
      const now = new Date();
      for (const msg of stuck) await this.machine.flagSoftFailure(m, msg, now);
      return stuck.length;
    });
    if (flagged > 0) this.outbox.kick();
  }
}
