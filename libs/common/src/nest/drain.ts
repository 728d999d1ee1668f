import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { config } from '../config';
import { Outbox } from '../db/outbox';

type DrainStep = (deadline: number) => Promise<void>;

/**
 * This process's shutdown state. SIGTERM (or SIGINT) sets `draining` at
 * once, so readiness (`/health/ready`) answers 503 before anything stops;
 * liveness stays 200 until the process exits.
 */
class ProcessDrain {
  private since: number | null = null;
  private readonly steps: DrainStep[] = [];

  get draining(): boolean {
    return this.since !== null;
  }

  /** Marks the process draining (idempotent); the deadline the whole drain must meet. */
  begin(): number {
    this.since ??= Date.now();
    return this.since + config().drain.timeoutMs;
  }

  /** A step of the drain (the broker consumers' stop), run before Nest closes the app. */
  onDrain(step: DrainStep): void {
    this.steps.push(step);
  }

  async runSteps(deadline: number): Promise<void> {
    await Promise.all(this.steps.map((step) => step(deadline)));
  }
}

let state: ProcessDrain | undefined;

export function processDrain(): ProcessDrain {
  state ??= new ProcessDrain();
  return state;
}

/**
 * Listens for SIGTERM and SIGINT before Nest does: marks the process draining
 * and arms the bound (DRAIN_TIMEOUT_MS; past it the process exits 1 with a
 * line saying what was still running). Nest's own shutdown hooks then close
 * the app (`DrainCoordinator` first).
 */
export function armDrain(service: string): void {
  const logger = new Logger(service);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      const deadline = processDrain().begin();
      logger.log(`${signal}: draining (readiness 503, then stop within ${config().drain.timeoutMs} ms)`);
      setTimeout(() => {
        logger.error(`drain did not finish within ${config().drain.timeoutMs} ms; exiting`);
        process.exit(1);
      }, deadline - Date.now()).unref();
    });
  }
}

/**
 * The first part of a shutdown, in Nest's `beforeApplicationShutdown`
 * (before Nest closes the HTTP server and the broker transport): readiness
 * has said 503 for DRAIN_READY_DELAY_MS while requests were still served;
 * then the broker consumers are canceled and their in-flight handlers
 * finish; then the outbox publishes what they committed. After it, Nest
 * closes the HTTP server (in-flight requests finish, new ones are refused)
 * and the pollers stop after their current run.
 */
@Injectable()
export class DrainCoordinator implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Drain');

  constructor(private readonly outbox: Outbox) {}

  async beforeApplicationShutdown(): Promise<void> {
    const drain = processDrain();
    const deadline = drain.begin();
    const cfg = config().drain;
    await new Promise((r) => setTimeout(r, Math.min(cfg.readyDelayMs, Math.max(0, deadline - Date.now()))));
    await drain.runSteps(deadline);
    const flushed = await Promise.race([
      this.outbox.drain().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((r) => setTimeout(() => r(false), Math.max(0, deadline - Date.now() - 1000))),
    ]);
    if (!flushed)
      this.logger.warn('outbox not flushed before the drain bound; it is published after restart');
  }
}
