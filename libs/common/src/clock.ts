import { config } from './config';

/**
 * The time as the services see it. In production it is the system clock; in
 * development and tests `CLOCK_OFFSET_MS` shifts it (config refuses a
 * non-zero offset in production), so an e2e stack can pretend it is 22:00 in
 * London. Only decisions about when a message may go read it (quiet hours,
 * the scheduled-message release); timestamps the database keeps for audit
 * are real time.
 */
export class Clock {
  constructor(private readonly offsetMs = 0) {}

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

/** The process-wide clock, from `CLOCK_OFFSET_MS`. */
export function systemClock(): Clock {
  return new Clock(config().clockOffsetMs);
}
