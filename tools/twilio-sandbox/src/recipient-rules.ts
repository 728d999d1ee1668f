/**
 * Magic recipients: the last four digits of `To` decide what happens to a
 * message. Other parts of the project rely on this table exactly; keep the
 * README in sync.
 */

export type MessageStatus =
  'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'received';

export interface RejectRule {
  kind: 'reject';
  code: number;
  message: string;
}

export interface DeliverRule {
  kind: 'deliver';
  /** Statuses after `queued`, in order. The last one is where the message stays. */
  statuses: MessageStatus[];
  errorCode: number | null;
  errorMessage: string | null;
}

export type RecipientRule = RejectRule | DeliverRule;

const deliver = (final: MessageStatus, errorCode: number | null = null, errorMessage: string | null = null) =>
  ({ kind: 'deliver', statuses: ['sending', 'sent', final], errorCode, errorMessage }) as DeliverRule;

export const RECIPIENT_RULES: Record<string, RecipientRule> = {
  '0003': deliver('undelivered', 30003, 'Unreachable destination handset'),
  '0005': deliver('undelivered', 30005, 'Unknown destination handset'),
  '0006': deliver('failed', 30006, 'Landline or unreachable carrier'),
  '0007': deliver('undelivered', 30007, 'Message filtered'),
  '0008': deliver('failed', 30008, 'Unknown error'),
  '0404': { kind: 'deliver', statuses: ['sending', 'sent'], errorCode: null, errorMessage: null },
  '1610': { kind: 'reject', code: 21610, message: 'Attempt to send to unsubscribed recipient' },
  '1211': { kind: 'reject', code: 21211, message: "Invalid 'To' Phone Number" },
  '1611': {
    kind: 'reject',
    code: 21611,
    message: "This 'From' number has exceeded the maximum number of queued messages",
  },
};

const DEFAULT_RULE = deliver('delivered');

export function recipientRule(to: string): RecipientRule {
  return RECIPIENT_RULES[to.slice(-4)] ?? DEFAULT_RULE;
}
