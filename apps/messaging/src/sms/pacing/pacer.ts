import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedNumber } from '@nixflex/common';
import { REDIS, REDIS_SETTINGS, RedisSettings } from '@nixflex/common/redis';
import type { SendFailure } from '../dispatch/twilio-sender';
import type Redis from 'ioredis';
import { SMS_SETTINGS, SmsSettings, retryDelayMs } from '../sms.settings';
import { Gcra, LocalGcra, RedisGcra, ThrottleKind } from './gcra';
import { PACING_SETTINGS, PacingSettings } from './pacing.settings';
import { paceOf } from './rates';

/** Lateness after a slot that never costs the slot (timer and network jitter), ms. */
const LATE_SLACK_MS = 25;
/** Slots a send may give up for lateness before it goes anyway. */
const MAX_REBOOKS = 3;

/** What the dispatcher does with a claimed message before it calls Twilio. */
export type PaceDecision = { kind: 'send'; waitMs: number } | { kind: 'later'; at: Date; reason: string };

/** A message is bulk when the releaser queued it (a scheduled single or a campaign message). */
export function isBulk(msg: { scheduledFor: Date | null; campaignId: string | null }): boolean {
  return msg.scheduledFor !== null || msg.campaignId !== null;
}

/** Twilio's answer that asks the sender to slow down: 429/20429, or 21611 (its queue is full). */
export function throttleOf(failure: SendFailure): ThrottleKind | null {
  if (failure.kind === 'retry' && failure.throttled) return '429';
  if (failure.kind === 'refused' && failure.code === '21611') return '21611';
  return null;
}

/**
 * Per-sender pacing (docs/campaigns.md, "Pacing"): one GCRA bucket per
 * sender number in Redis, shared by every messaging replica; this replica's
 * memory while Redis is down.
 */
@Injectable()
export class SmsPacer {
  private readonly logger = new Logger('SmsPacer');
  private readonly shared: Gcra;
  private readonly local = new LocalGcra();
  private readonly prefix: string;
  private fallingBack = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(REDIS_SETTINGS) redisSettings: RedisSettings,
    @Inject(PACING_SETTINGS) readonly settings: PacingSettings,
    @Inject(SMS_SETTINGS) private readonly sms: SmsSettings,
  ) {
    this.shared = new RedisGcra(redis);
    this.prefix = `${redisSettings.keyPrefix}sms:pace:`;
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** The segments per second applied to a number. */
  rateOf(number: ResolvedNumber): number {
    return paceOf(number, this.settings);
  }

  /**
   * Books the sender's slot for a claimed message and waits for it.
   * Interactive traffic (API sends, agent replies) always books the next slot
   * and waits while the wait fits in the claim's lease; bulk traffic books
   * only a slot within the horizon, so interactive sends queue behind at most
   * a horizon of bulk. Woken well after its slot, a send books a new one
   * rather than go out next to the following slot. A sender paused meanwhile (Twilio's 429/21611 to an
   * earlier send) holds the message until the pause ends.
   * `later`: hand the message back for `at`, without counting an attempt.
   */
  async waitForSlot(
    msg: { scheduledFor: Date | null; campaignId: string | null; segments: number },
    number: ResolvedNumber,
  ): Promise<PaceDecision> {
    if (!this.settings.enabled) return { kind: 'send', waitMs: 0 };
    const key = this.key(number.phone_number);
    const rate = this.rateOf(number);
    const costMs = (Math.max(1, msg.segments) * 1000) / rate;
    const bulk = isBulk(msg);
    const maxAheadMs = bulk ? this.settings.horizonMs : this.maxWaitMs();
    let waitedMs = 0;
    for (let round = 0; ; round++) {
      const r = await this.gcra((g) => g.take(key, costMs, maxAheadMs));
      if (!r.granted) {
        const laterMs = r.aheadMs - maxAheadMs / 2;
        return {
          kind: 'later',
          at: new Date(Date.now() + Math.max(10, Math.ceil(laterMs))),
          reason: `paced: ${number.phone_number} booked ${Math.round(r.aheadMs)} ms ahead at ${rate}/s`,
        };
      }
      const slotAt = Date.now() + r.aheadMs;
      if (r.aheadMs >= 1) await new Promise((resolve) => setTimeout(resolve, Math.ceil(r.aheadMs)));
      waitedMs += r.aheadMs;
      // Woken well after the slot (this process stalled): sending now could
      // land next to the following slot's send. Leave the slot unused (a gap
      // only slows the sender) and book the next free one.
      if (Date.now() - slotAt > Math.max(costMs / 2, LATE_SLACK_MS) && round < MAX_REBOOKS) continue;
      break;
    }
    const pausedMs = await this.gcra((g) => g.pausedMs(key));
    if (pausedMs > 0) {
      return {
        kind: 'later',
        at: new Date(Date.now() + Math.ceil(pausedMs)),
        reason: `paced: ${number.phone_number} paused by Twilio for ${Math.round(pausedMs)} ms more`,
      };
    }
    return { kind: 'send', waitMs: Math.ceil(waitedMs) };
  }

  /**
   * Twilio asked the sender to slow down: its next slot moves to after the
   * pause (429: doubling from SMS_PACE_429_BACKOFF_MS; 21611: a fixed
   * SMS_PACE_21611_BACKOFF_MS). Returns when the sender may send again.
   * With pacing off only the message waits, the retry backoff of its attempt.
   */
  async throttled(phone: string, kind: ThrottleKind, attempt: number): Promise<Date> {
    if (!this.settings.enabled) return new Date(Date.now() + retryDelayMs(this.sms, attempt));
    const rule = {
      baseMs: this.settings.backoff429Ms,
      maxMs: this.settings.backoff429MaxMs,
      queueFullMs: this.settings.backoff21611Ms,
    };
    const r = await this.gcra((g) => g.backoff(this.key(phone), kind, rule));
    this.logger.warn(
      `${phone}: Twilio answered ${kind === '429' ? '429 (too many requests)' : '21611 (sender queue over limit)'}; ` +
        `sender paused ${Math.round(r.delayMs)} ms, next send in ${Math.round(r.aheadMs)} ms`,
    );
    return new Date(Date.now() + Math.ceil(r.aheadMs));
  }

  /** How far ahead each sender's next slot is booked, ms (the releaser's budget). */
  backlogMs(phones: string[]): Promise<number[]> {
    return this.gcra((g) => g.peek(phones.map((p) => this.key(p))));
  }

  /**
   * The longest a claimed send may wait for its slot: the lease less the
   * Twilio timeout and a margin (2 s, a tenth of the lease when that is less),
   * or SMS_PACE_MAX_WAIT_MS when lower.
   */
  maxWaitMs(): number {
    const margin = Math.min(2000, this.sms.leaseMs / 10);
    const leaseMargin = Math.max(0, this.sms.leaseMs - this.sms.twilioTimeoutMs - margin);
    return Math.min(leaseMargin, this.settings.maxWaitMs ?? leaseMargin);
  }

  private key(phone: string): string {
    return `${this.prefix}${phone}`;
  }

  /** Redis, or this process's buckets while Redis does not answer (logged once per outage). */
  private async gcra<T>(op: (g: Gcra) => Promise<T>): Promise<T> {
    if (this.redis.status === 'ready') {
      try {
        const out = await op(this.shared);
        if (this.fallingBack) this.logger.log('pacing shared through Redis again');
        this.fallingBack = false;
        return out;
      } catch (err) {
        this.fallBack((err as Error).message);
      }
    } else this.fallBack(`Redis ${this.redis.status}`);
    return op(this.local);
  }

  private fallBack(why: string): void {
    if (this.fallingBack) return;
    this.fallingBack = true;
    this.logger.warn(`pacing per process (exact for this replica only) while Redis is unavailable: ${why}`);
  }
}
