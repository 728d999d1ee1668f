import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Clock, MessagingEvents, Outbox } from '@nixflex/common';
import { Poller } from '@nixflex/common/poll';
import { MessagesRepository } from '../data';
import { SMS_SETTINGS, SmsSettings } from '../sms.settings';
import { statusRank } from '../status/status-rules';
import { WaitingEnds } from './waiting-ends';

/** Scheduled messages released per statement; a full batch runs again at once. */
export const RELEASE_BATCH = 200;

/**
 * Queues scheduled messages when they come due, every SMS_DISPATCH_POLL_MS:
 * one statement claims due rows (`FOR UPDATE SKIP LOCKED`, so several
 * workers and a concurrent cancel never collide) and moves each from
 * `scheduled` to `queued` with its history row and its `sms.dispatch.v1`
 * outbox row; from there the sender sends it exactly once, as any message.
 * The rows are the schedule, so a restart loses nothing. "Due" is decided by
 * the injected `Clock`, passed as a parameter (never SQL `now()`).
 * Before releasing, a separate statement (`expireDue`) ends scheduled
 * messages whose `expires_at` passed: `failed`/`expired`, never released.
 */
@Injectable()
export class ScheduleReleaser implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ScheduleReleaser');
  private readonly poller: Poller;

  constructor(
    private readonly repo: MessagesRepository,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly ends: WaitingEnds,
    @Inject(SMS_SETTINGS) settings: SmsSettings,
  ) {
    this.poller = new Poller({
      name: 'sms schedule releaser',
      intervalMs: settings.pollMs,
      maxBackoffMs: 5000,
      job: async () => {
        const expired = await this.expireDue();
        return (await this.releaseDue()) === RELEASE_BATCH || expired === RELEASE_BATCH ? 'more' : 'idle';
      },
      onError: (err) => this.logger.warn(`release failed: ${(err as Error).message}`),
      logger: this.logger,
    });
  }

  onApplicationBootstrap(): void {
    this.poller.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.poller.stop();
  }

  /** One batch of scheduled messages past their `expires_at`: the number that ended `failed`/`expired`. */
  async expireDue(): Promise<number> {
    return (await this.ends.expireDue('scheduled', this.clock.now(), RELEASE_BATCH, 'scheduler')).length;
  }

  /** One batch: the number of messages queued. */
  async releaseDue(): Promise<number> {
    const ids = await this.repo.releaseDue(
      this.clock.now(),
      RELEASE_BATCH,
      statusRank('queued'),
      MessagingEvents.smsDispatch,
    );
    if (ids.length > 0) this.outbox.kick();
    return ids.length;
  }
}
