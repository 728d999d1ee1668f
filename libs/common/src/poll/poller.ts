import { Logger } from '@nestjs/common';

/** What one run of a polled job reports. */
export type PollResult = 'more' | 'idle';

export interface PollerOptions {
  /** Used in the log line when the job starts failing. */
  name: string;
  /** Wait between runs while all is well. */
  intervalMs: number;
  /**
   * Cap of the wait after failures: the wait doubles per consecutive failure
   * (intervalMs x 2^failures) up to this. Equal to intervalMs: no backoff.
   */
  maxBackoffMs: number;
  /**
   * One unit of work. Return `'more'` when work is probably left (a full
   * batch) to run again at once; `'idle'` (or nothing) to wait for the next
   * tick or kick. A throw counts as a failure and backs off.
   */
  job: () => Promise<PollResult | void>;
  /** Called per failure with the consecutive count; default: warn once when failing starts. */
  onError?: (err: unknown, consecutiveFailures: number) => void;
  logger?: Logger;
}

/** Failures counted at most this far: the backoff stops growing. */
const MAX_FAILURE_EXPONENT = 6;

/**
 * A job run in a loop: every `intervalMs`, at once on `kick()`, again
 * immediately while it reports more work, with a growing wait while it fails.
 * One run at a time: a kick during a run makes that run go round once more.
 * `stop()` cancels the timer and waits for the run in progress.
 */
export class Poller {
  private timer?: NodeJS.Timeout;
  private current?: Promise<void>;
  private again = false;
  private started = false;
  private stopped = false;
  private failures = 0;
  private readonly logger: Logger;

  constructor(private readonly opts: PollerOptions) {
    this.logger = opts.logger ?? new Logger(opts.name);
  }

  /** Consecutive failed runs (0 while all is well). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  /** Starts the timer (the first run comes after one interval). Kicks work before it too. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.schedule();
  }

  /** Work is waiting: run now rather than at the next tick. */
  kick(): void {
    if (this.stopped) return;
    if (this.current) {
      this.again = true;
      return;
    }
    setImmediate(() => {
      if (!this.stopped) void this.run();
    });
  }

  /**
   * Runs the job now (until it is idle) and resolves when done; joins the run
   * in progress instead when there is one (which then goes round once more).
   * Never rejects: failures are counted and reported through `onError`.
   */
  run(): Promise<void> {
    if (this.current) {
      this.again = true;
      return this.current;
    }
    this.current = this.loop().finally(() => {
      this.current = undefined;
    });
    return this.current;
  }

  /** Stops the timer and ignores kicks from now on; resolves when the run in progress (if any) ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.current;
  }

  /** The wait before the next tick: the interval, or the backoff while failing. */
  nextDelayMs(): number {
    const { intervalMs, maxBackoffMs } = this.opts;
    if (this.failures === 0) return intervalMs;
    return Math.max(intervalMs, Math.min(intervalMs * 2 ** this.failures, maxBackoffMs));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run().finally(() => this.schedule());
    }, this.nextDelayMs());
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    try {
      let more: boolean;
      do {
        this.again = false;
        more = (await this.opts.job()) === 'more';
      } while ((more || this.again) && !this.stopped);
      this.failures = 0;
    } catch (err) {
      this.failures = Math.min(this.failures + 1, MAX_FAILURE_EXPONENT);
      if (this.opts.onError) this.opts.onError(err, this.failures);
      else if (this.failures === 1) {
        this.logger.warn(`${this.opts.name} paused: ${(err as Error)?.message ?? String(err)}`);
      }
    }
  }
}
