import type { ResolvedNumber } from '@nixflex/common';

/** Twilio's single-word keywords (trimmed, case-insensitive), as Twilio itself honours them. */
export type Keyword = { kind: 'opt_out' | 'opt_in' | 'yes' | 'help'; word: string };

const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const OPT_IN = new Set(['START', 'UNSTOP']);
const HELP = new Set(['HELP', 'INFO']);

export function parseKeyword(body: string): Keyword | null {
  const word = body.trim().toUpperCase();
  if (OPT_OUT.has(word)) return { kind: 'opt_out', word };
  if (OPT_IN.has(word)) return { kind: 'opt_in', word };
  if (word === 'YES') return { kind: 'yes', word };
  if (HELP.has(word)) return { kind: 'help', word };
  return null;
}

/** What an inbound message is answered with. */
export type ReplyKind = 'agent' | 'help' | 'none';

/** What the opt-out table must do for a keyword: the state machine's transition. */
export type OptOutChange = 'opt_out' | 'opt_in' | null;

export function optOutChange(kw: Keyword | null): OptOutChange {
  if (kw?.kind === 'opt_out') return 'opt_out';
  if (kw?.kind === 'opt_in' || kw?.kind === 'yes') return 'opt_in';
  return null;
}

/**
 * The reply a fresh message gets, once its opt-out change is applied
 * (`wasOptedOut`: START/UNSTOP/YES found an opt-out and removed it). STOP and
 * START get none (Twilio confirms them itself); HELP gets the help text; YES
 * goes to the agent unless it was an opt-in (the reminder flow); anything
 * else goes to the agent.
 */
export function replyKind(kw: Keyword | null, wasOptedOut: boolean): ReplyKind {
  if (!kw) return 'agent';
  switch (kw.kind) {
    case 'help':
      return 'help';
    case 'opt_out':
    case 'opt_in':
      return 'none';
    case 'yes':
      return wasOptedOut ? 'none' : 'agent';
  }
}

/**
 * The reply a redelivered message still owes (its reply is registered as
 * pending, so the first delivery decided it needs one): HELP's, else the agent's.
 */
export function pendingReplyKind(body: string): Exclude<ReplyKind, 'none'> {
  return parseKeyword(body)?.kind === 'help' ? 'help' : 'agent';
}

export const REPLY_MAX = 600;

/** Trims a reply into the 600-character safe zone, on a word boundary when one is near. */
export function clampReply(text: string): string {
  const t = text.trim();
  if (t.length <= REPLY_MAX) return t;
  const cut = t.slice(0, REPLY_MAX - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > REPLY_MAX - 80 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** The answer to HELP/INFO: the agent's name, the business profile's start, the opt-out keywords. */
export function helpText(n: Pick<ResolvedNumber, 'agent_name' | 'custom_prompt'>): string {
  const profile = n.custom_prompt?.trim().replace(/\s+/g, ' ');
  const about = profile ? ` ${profile.slice(0, 300)}` : '';
  return clampReply(`${n.agent_name}:${about} Reply STOP to unsubscribe, START to resubscribe.`);
}
