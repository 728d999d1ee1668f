/**
 * Message statuses: Twilio's `message_enum_status` plus nothing of our own.
 * A message we accepted but have not handed to Twilio yet is `queued`, as
 * Twilio calls its own first state. Only the vocabulary lives here (the API
 * contracts validate and type it); the rules of how a status moves belong to
 * the messaging service (apps/messaging/src/sms/status/status-rules.ts).
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
