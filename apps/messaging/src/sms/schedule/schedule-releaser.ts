import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Clock, MessagingEvents, Outbox } from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import { Poller } from '@nixflex/common/poll';
import { MessagesRepository } from '../data';
import { SmsPacer } from '../pacing/pacer';
import { senderRate } from '../pacing/rates';
import { SMS_SETTINGS, SmsSettings } from '../sms.settings';
import { statusRank } from '../status/status-rules';
import { WaitingEnds } from './waiting-ends';

/** Scheduled messages released per statement; a full batch runs again at once. */
export const RELEASE_BATCH = 200;
/** Senders given a budget per paced release. */
const SENDERS_PER_RELEASE = 500;

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
 *
 * With pacing on, each sender gets only what its pace allows within the
 * horizon (SMS_PACE_HORIZON_MS less what its bucket already holds), oldest
 * first and single messages before campaign messages, so thousands of
 * messages due at one instant never become thousands of claims fighting for
 * slots; while anything stays due the release runs every SMS_PACE_RELEASE_MS.
 */
@Injectable()
export class ScheduleReleaser implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ScheduleReleaser');
  private readonly poller: Poller;
  private pacedTick?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly repo: MessagesRepository,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly ends: WaitingEnds,
    @Inject(SMS_SETTINGS) settings: SmsSettings,
    private readonly pacer: SmsPacer,
    private readonly numbers: NumberResolver,
  ) {
    this.poller = new Poller({
      name: 'sms schedule releaser',
      intervalMs: settings.pollMs,
      maxBackoffMs: 5000,
      job: async () => {
        const expired = await this.expireDue();
        const released = await this.releaseDue();
        return released >= RELEASE_BATCH || expired === RELEASE_BATCH ? 'more' : 'idle';
      },
      onError: (err) => this.logger.warn(`release failed: ${(err as Error).message}`),
      logger: this.logger,
    });
  }

  onApplicationBootstrap(): void {
    this.poller.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.pacedTick) clearTimeout(this.pacedTick);
    await this.poller.stop();
  }

  /** One batch of scheduled messages past their `expires_at`: the number that ended `failed`/`expired`. */
  async expireDue(): Promise<number> {
    return (await this.ends.expireDue('scheduled', this.clock.now(), RELEASE_BATCH, 'scheduler')).length;
  }

  /** One batch: the number of messages queued. */
  async releaseDue(): Promise<number> {
    if (this.pacer.enabled) return this.releasePaced();
    const ids = await this.repo.releaseDue(
      this.clock.now(),
      RELEASE_BATCH,
      statusRank('queued'),
      MessagingEvents.smsDispatch,
    );
    if (ids.length > 0) this.outbox.kick();
    return ids.length;
  }

  /** One paced batch: per sender what its pace allows within the horizon. */
  private async releasePaced(): Promise<number> {
    const now = this.clock.now();
    const due = await this.repo.dueSenders(now, SENDERS_PER_RELEASE);
    if (due.length === 0) return 0;
    const { horizonMs } = this.pacer.settings;
    const senders = due.map((d) => d.sender);
    const [backlog, rates] = await Promise.all([
      this.pacer.backlogMs(senders),
      Promise.all(senders.map((s) => this.rateOf(s))),
    ]);
    const budgets = senders.map((sender, i) => ({
      sender,
      segments: (Math.max(0, horizonMs - backlog[i]) * rates[i]) / 1000,
    }));
    const ids = await this.repo.releaseDuePaced(
      now,
      RELEASE_BATCH,
      statusRank('queued'),
      MessagingEvents.smsDispatch,
      budgets,
      new Date(Date.now() + horizonMs),
    );
    if (ids.length > 0) this.outbox.kick();
    // Work stays due: come back soon, on the pace's time scale rather than the poll's.
    this.schedulePacedTick();
    return ids.length;
  }

  private schedulePacedTick(): void {
    if (this.pacedTick || this.stopped) return;
    this.pacedTick = setTimeout(() => {
      this.pacedTick = undefined;
      this.poller.kick();
    }, this.pacer.settings.releaseTickMs);
    this.pacedTick.unref();
  }

  /** The sender's pace (its override when the number resolves, else its default). */
  private async rateOf(phone: string): Promise<number> {
    try {
      return this.pacer.rateOf(await this.numbers.resolve(phone));
    } catch {
      return senderRate(phone);
    }
  }
}
