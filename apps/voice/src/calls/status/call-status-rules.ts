import { CALL_STATUSES, CallStatus } from '@nixflex/common';

/**
 * The one place that decides how a call's status moves. Callbacks arrive
 * late, twice and out of order; a status is applied only when its rank is
 * higher than the current one, so a status only moves forward, duplicates
 * change nothing, and the first final status wins.
 */
export function callStatusRank(status: CallStatus): number {
  switch (status) {
    case 'queued':
      return 10;
    case 'initiated':
      return 20;
    case 'ringing':
      return 30;
    case 'in-progress':
      return 40;
    case 'completed':
    case 'busy':
    case 'failed':
    case 'no-answer':
    case 'canceled':
      return 50;
  }
}

export const FINAL_CALL_RANK = 50;

export function isFinalCallStatus(status: CallStatus): boolean {
  return callStatusRank(status) >= FINAL_CALL_RANK;
}

export function canCallTransition(current: CallStatus, next: CallStatus): boolean {
  return callStatusRank(next) > callStatusRank(current);
}

/** Twilio's CallStatus as ours; null for a value Twilio does not document. */
export function fromTwilioCallStatus(raw: string | null | undefined): CallStatus | null {
  const s = (raw ?? '').trim().toLowerCase();
  return (CALL_STATUSES as readonly string[]).includes(s) ? (s as CallStatus) : null;
}

/** Statuses a call can still move on from (what the sweeper asks Twilio about). */
export const OPEN_CALL_STATUSES: readonly CallStatus[] = CALL_STATUSES.filter((s) => !isFinalCallStatus(s));
