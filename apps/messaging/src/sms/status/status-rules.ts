import { SMS_STATUSES, SmsStatus, isSmsStatus } from '@nixflex/common/sms';

/**
 * The one place that decides how a message's status moves. Messaging-only:
 * the shared library keeps just the vocabulary (`SMS_STATUSES`) that the API
 * contracts use. SQL that needs these rules gets them from here as
 * parameters (see `callbackOutcomeTable`, `NON_FINAL_STATUSES`).
 */

/**
 * Position of a status in a message's life. Callbacks arrive late, twice and
 * out of order; a status is applied only when its rank is higher than the
 * current one, so a status only moves forward and duplicates change nothing.
 * Final statuses share one rank: the first final status to arrive wins. `read`
 * (WhatsApp) is the only step after a final one, and only after `delivered`.
 */
export function statusRank(status: SmsStatus): number {
  switch (status) {
    // Ours: waiting for its send time (send_at, quiet hours), before it is queued.
    // Twilio's own `scheduled` (Message Scheduling) is never used by us, so a
    // callback saying it can only be ignored, never move a message back.
    case 'scheduled':
      return 5;
    case 'queued':
    case 'accepted':
      return 10;
    case 'receiving':
    case 'sending':
      return 20;
    case 'sent':
      return 30;
    case 'partially_delivered':
      return 40;
    case 'received':
    case 'delivered':
    case 'undelivered':
    case 'failed':
    case 'canceled':
      return 50;
    case 'read':
      return 60;
  }
}

export function isFinalStatus(status: SmsStatus): boolean {
  return statusRank(status) >= 50;
}

/** A failure status: its Twilio ErrorCode says why. */
export function isFailureStatus(status: SmsStatus): boolean {
  return status === 'failed' || status === 'undelivered';
}

/** Outbound statuses whose message never reached the other party (not part of the conversation they saw). */
export const UNSEEN_STATUSES: readonly SmsStatus[] = SMS_STATUSES.filter(
  (s) => isFailureStatus(s) || s === 'canceled',
);

/** Statuses a message can still move on from by itself (what reconciliation asks Twilio about). */
export const NON_FINAL_STATUSES: readonly SmsStatus[] = SMS_STATUSES.filter((s) => !isFinalStatus(s));

/** Whether `next` may replace `current` (forward only, final wins, `read` only after `delivered`). */
export function canTransition(current: SmsStatus, next: SmsStatus): boolean {
  if (next === 'read') return current === 'delivered';
  if (isFinalStatus(current)) return false;
  return statusRank(next) > statusRank(current);
}

/** Twilio status string (callback `MessageStatus`, REST `status`) to ours; unknown strings are undefined. */
export function fromTwilioStatus(raw: string | undefined | null): SmsStatus | undefined {
  const s = (raw ?? '').trim().toLowerCase();
  return isSmsStatus(s) ? s : undefined;
}

/** What became of one Twilio status callback (stored in `status_callbacks.outcome`). */
export type CallbackOutcome = 'applied' | 'ignored' | 'unknown_status' | 'account_mismatch';

/** What ingesting a callback event did: an outcome, or parked until its SID is stored, or a redelivery. */
export type IngestOutcome = CallbackOutcome | 'parked' | 'duplicate_event';

/**
 * The decision for a callback reporting `next` (undefined: a status string we
 * do not know) about a message now in `current`. `accountMatches` is false
 * when the message was created under another Twilio account than the one
 * the callback came from.
 */
export function decideCallback(
  current: { status: SmsStatus; accountMatches: boolean },
  next: SmsStatus | undefined,
): CallbackOutcome {
  if (next === undefined) return 'unknown_status';
  if (!current.accountMatches) return 'account_mismatch';
  return canTransition(current.status, next) ? 'applied' : 'ignored';
}

/**
 * `decideCallback` for every current status, for SQL that decides in the
 * same statement as it reads the locked row: look up
 * `table -> ('same' | 'other') ->> current_status`.
 */
export type CallbackOutcomeTable = Record<'same' | 'other', Record<SmsStatus, CallbackOutcome>>;

export function callbackOutcomeTable(next: SmsStatus | undefined): CallbackOutcomeTable {
  const row = (accountMatches: boolean) =>
    Object.fromEntries(
      SMS_STATUSES.map((status) => [status, decideCallback({ status, accountMatches }, next)]),
    ) as Record<SmsStatus, CallbackOutcome>;
  return { same: row(true), other: row(false) };
}
