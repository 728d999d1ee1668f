import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppError, Outbox, config } from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import { PollResult, Poller } from '@nixflex/common/poll';
import { Call } from '../data/call.entities';
import { CallsRepository } from '../data/calls.repository';
import { RelaySessions } from '../relay/relay-sessions';
import { CallLifecycle, CallStatusUpdate } from '../status/call-lifecycle';
import { fromTwilioCallStatus, isFinalCallStatus } from '../status/call-status-rules';

const BATCH = 50;
/** A call that never got a Twilio SID is given up this many grace periods after it was created. */
const NO_SID_GRACE_FACTOR = 10;

/**
 * The safety net for calls that never get a final status (voice killed
 * mid-call, callbacks lost): every so often, calls with no `ended_at` whose
 * status and row have not moved for VOICE_SWEEP_AFTER_MS, and that have no
 * live session in this process, are looked up in Twilio (the number's own
 * credentials) and get Twilio's status and duration. A call Twilio does not
 * know, whose number is gone, or that never got a SID, ends `failed` with
 * `connection_lost`. Each check touches `updated_at`, so a call is asked about
 * at most once per grace period, and a call live in another voice instance
 * only costs one lookup per period (Twilio says `in-progress`; nothing moves).
 * The dialler's own calls in flight (no SID yet) are left to the dialler.
 */
@Injectable()
export class CallSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CallSweeper');
  private readonly poller: Poller;
  private readonly graceMs = config().voice.sweepAfterMs;

  constructor(
    private readonly calls: CallsRepository,
    private readonly lifecycle: CallLifecycle,
    private readonly numbers: NumberResolver,
    private readonly sessions: RelaySessions,
    private readonly outbox: Outbox,
  ) {
    this.poller = new Poller({
      name: 'call sweeper',
      intervalMs: Math.min(Math.max(Math.round(this.graceMs / 2), 250), 30_000),
      maxBackoffMs: 60_000,
      job: () => this.sweep(),
      logger: this.logger,
    });
  }

  onApplicationBootstrap(): void {
    this.poller.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.poller.stop();
  }

  /** One batch of overdue calls. */
  async sweep(): Promise<PollResult> {
    const due = await this.calls.dueForSweep(this.graceMs, BATCH);
    for (const call of due) {
      try {
        await this.check(call);
      } catch (err) {
        this.logger.warn(`${call.id}: could not sweep: ${(err as Error).message}`);
        await this.touch(call);
      }
    }
    return due.length === BATCH ? 'more' : 'idle';
  }

  private async check(call: Call): Promise<void> {
    if (this.sessions.has(call.id)) return this.touch(call);
    if (call.twilioSid === null) {
      const dialling =
        call.dispatchState === 'pending' ||
        call.dispatchState === 'in_flight' ||
        call.dispatchState === 'uncertain';
      const givenUp = Date.now() - call.createdAt.getTime() > this.graceMs * NO_SID_GRACE_FACTOR;
      if (!dialling && givenUp) return this.end(call, 'the call never got a Twilio SID');
      return this.touch(call);
    }
    let number;
    try {
      number = await this.numbers.resolve(call.ourNumber);
    } catch (err) {
      if (err instanceof AppError && err.status < 500)
        return this.end(call, `${call.ourNumber} is no longer imported`);
      throw err;
    }
    let fetched;
    try {
      fetched = await this.numbers.twilioClient(number).calls(call.twilioSid).fetch();
    } catch (err) {
      if ((err as { status?: number }).status === 404) return this.end(call, 'Twilio has no such call');
      throw err;
    }
    const status = fromTwilioCallStatus(fetched.status);
    if (!status || !isFinalCallStatus(status)) return this.touch(call);
    const duration = Number.parseInt(fetched.duration ?? '', 10);
    await this.apply(call, {
      status,
      at: new Date(),
      source: 'sweeper',
      durationS: Number.isFinite(duration) ? duration : null,
    });
  }

  private end(call: Call, why: string): Promise<void> {
    this.logger.warn(`${call.id}: ended as connection_lost: ${why}`);
    return this.apply(call, {
      status: 'failed',
      at: new Date(),
      source: 'sweeper',
      endReason: 'connection_lost',
      errorCode: 'connection_lost',
      errorMessage: why,
    });
  }

  private async apply(call: Call, update: CallStatusUpdate): Promise<void> {
    const moved = await this.calls.transaction(async (m) => {
      const row = await this.calls.lock(m, call.id);
      if (!row || row.endedAt !== null) return false;
      const changed = await this.lifecycle.apply(m, row, update);
      if (!changed) await this.calls.update(m, row.id, {});
      return changed;
    });
    if (moved) this.outbox.kick();
  }

  /** Checked now: not again for a grace period. */
  private async touch(call: Call): Promise<void> {
    await this.calls.transaction((m) => this.calls.update(m, call.id, {}));
  }
}
