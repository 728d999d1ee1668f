/**
 * Message statuses: Twilio's `message_enum_status` plus nothing of our own.
 * A message we accepted but have not handed to Twilio yet is `queued`, as
 * Twilio calls its own first state.
 */
export const SMS_STATUSES = [
  'queued',
  'accepted',
  'scheduled',
  'sending',
  'sent',
  'receiving',
  'received',
  'delivered',
  'undelivered',
  'failed',
  'canceled',
  'read',
  'partially_delivered',
] as const;

export type SmsStatus = (typeof SMS_STATUSES)[number];

export function isSmsStatus(value: unknown): value is SmsStatus {
  return typeof value === 'string' && (SMS_STATUSES as readonly string[]).includes(value);
}

/**
 * Position of a status in a message's life. Callbacks arrive late, twice and
 * out of order; a status is applied only when its rank is higher than the
 * current one, so a status only moves forward and duplicates change nothing.
 * Final statuses share one rank: the first final status to arrive wins. `read`
 * (WhatsApp) is the only step after a final one, and only after `delivered`.
 */
export function statusRank(status: SmsStatus): number {
  switch (status) {
    case 'queued':
    case 'accepted':
    case 'scheduled':
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
