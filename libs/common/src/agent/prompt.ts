/**
 * The system prompt the model gets for one conversation, the same for every
 * channel. Pure: no I/O, so SMS and voice (and tests) compose it alike.
 *
 * Order, each section only when it has content:
 * 1. the agent's prompt (the shared template);
 * 2. BUSINESS PROFILE: the number's `custom_prompt`, which says it wins on a
 *    conflict, so a reseller's per-number details override the template;
 * 3. CALLER HISTORY: earlier calls and texts between this caller and this
 *    number, dated, bounded, newest last (SMS also sends its own thread as
 *    chat turns; a call's own turns are chat turns too);
 * 4. channel notes (`sms`: none, as before voice existed; `voice`: speech);
 * 5. ACTIONS: what the agent can do beyond talking (text the caller during a
 *    call, look up and book the number's calendar), only when offered.
 */

export const BUSINESS_PROFILE_HEADING = 'BUSINESS PROFILE';
export const CALLER_HISTORY_HEADING = 'CALLER HISTORY';
export const VOICE_NOTES_HEADING = 'VOICE CALL';
export const ACTIONS_HEADING = 'ACTIONS';

import type { CallHistoryEntry, TextHistoryEntry } from '../contracts/voice';

export type AgentChannel = 'sms' | 'voice';

/** Earlier calls and texts with this caller, each list in any order (rendered by time). */
export interface CallerHistory {
  calls?: readonly CallHistoryEntry[];
  texts?: readonly TextHistoryEntry[];
}

/** How much history a prompt carries: the newest entries that fit both bounds. */
export const CALLER_HISTORY_LIMITS = {
  entries: 12,
  chars: 2400,
  /** One text or one call's transcript, at most. */
  entryChars: 400,
};

/**
 * One utterance of a conversation: the caller's or the agent's; or a `note`
 * from the engine to the agent (what became of an action it asked for),
 * sent to the model as a system message in its place and never shown.
 */
export interface AgentTurn {
  from: 'caller' | 'agent' | 'note';
  text: string;
}

/** What the agent can do in this conversation beyond talking; each is described in ACTIONS. */
export interface AgentActions {
  /** Voice: the agent can text the caller mid-call (the `send_sms` tool or `[SEND_SMS: text]`). */
  sms?: boolean;
  /** The number has a calendar: `check_availability` and `book_appointment` are offered. */
  calendar?: { timeZone: string; now: Date };
}

export interface PromptInput {
  /** The agent's prompt (`ResolvedNumber.agent_system_prompt`). */
  agentPrompt: string;
  /** The number's `custom_prompt`; null or empty = no BUSINESS PROFILE section. */
  businessProfile: string | null;
  channel: AgentChannel;
  /** Earlier calls and texts with this caller, written into the prompt. */
  callerHistory?: CallerHistory;
  actions?: AgentActions;
}

const CHANNEL_NOTES: Record<AgentChannel, string | null> = {
  sms: null,
  voice: [
    VOICE_NOTES_HEADING,
    'You are speaking with the caller on a live phone call; everything you write is read aloud.',
    'Answer in one to three short spoken sentences. Do not use lists, headings, markdown, emoji or URLs;',
    'say numbers, times and addresses the way a person would say them.',
  ].join('\n'),
};

export function businessProfileSection(profile: string): string {
  return [
    BUSINESS_PROFILE_HEADING,
    'You answer for the business below, reached on this phone number. Where these details conflict with the instructions above, these details win.',
    '',
    profile,
  ].join('\n');
}

/**
 * One line per earlier call or text, oldest first, the newest that fit
 * CALLER_HISTORY_LIMITS; null when there is nothing to say.
 */
export function callerHistorySection(history: CallerHistory): string | null {
  const lines = historyLines(history);
  if (lines.length === 0) return null;
  return [
    CALLER_HISTORY_HEADING,
    'You have been in touch with this caller before, on this number (oldest first). Treat them as someone you know; use this only where it helps.',
    ...lines,
  ].join('\n');
}

function historyLines(history: CallerHistory): string[] {
  const entries = [
    ...(history.texts ?? []).map((t) => ({
      at: t.at,
      line: `- ${when(t.at)}, text ${t.direction === 'inbound' ? 'from the caller' : 'from you'}: ${clip(t.body)}`,
    })),
    ...(history.calls ?? []).map((c) => ({
      at: c.at,
      line: `- ${when(c.at)}, ${c.direction === 'inbound' ? 'call from the caller' : 'call you made to them'} (${callOutcome(c)})${c.transcript ? `: ${clip(c.transcript)}` : ''}`,
    })),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const kept: string[] = [];
  let chars = 0;
  for (let i = entries.length - 1; i >= 0 && kept.length < CALLER_HISTORY_LIMITS.entries; i--) {
    chars += entries[i].line.length + 1;
    if (chars > CALLER_HISTORY_LIMITS.chars) break;
    kept.push(entries[i].line);
  }
  return kept.reverse();
}

function callOutcome(c: CallHistoryEntry): string {
  if (c.status !== 'completed') return c.status.replace('-', ' ');
  const s = c.duration_s ?? 0;
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

/** `2026-11-30 14:02 UTC`: dates the model can reason about ("yesterday"). */
function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const max = CALLER_HISTORY_LIMITS.entryChars;
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function composeSystemPrompt(input: PromptInput): string {
  const sections: string[] = [];
  if (input.businessProfile) sections.push(businessProfileSection(input.businessProfile));
  const history = input.callerHistory && callerHistorySection(input.callerHistory);
  if (history) sections.push(history);
  const notes = CHANNEL_NOTES[input.channel];
  if (notes) sections.push(notes);
  const actions = input.actions && actionsSection(input.actions);
  if (actions) sections.push(actions);
  return appendSections(input.agentPrompt, sections);
}

/** ACTIONS: how to text the caller during a call and how to use the calendar; null when neither is offered. */
export function actionsSection(actions: AgentActions): string | null {
  const lines: string[] = [];
  if (actions.sms) {
    lines.push(
      'You can text the caller during this call: call the send_sms tool with the text, or write [SEND_SMS: the text] in your answer (it is sent by SMS, never read aloud).',
      'Use it for links, addresses and confirmations the caller should keep, then tell them you have sent it.',
    );
  }
  if (actions.calendar) {
    const { timeZone, now } = actions.calendar;
    lines.push(
      `You can book appointments in this business's calendar. Its time zone is ${timeZone}; it is now ${localNow(now, timeZone)} there.`,
      'Call check_availability (dates as YYYY-MM-DD) before offering times, and offer only times it returns.',
      "To book: get the caller's name (and email if they will give it), confirm the time, then call book_appointment with the slot's start exactly as check_availability gave it.",
      'When a tool says a time is taken or something failed, tell the caller what it says in your own words.',
    );
  }
  return lines.length === 0 ? null : [ACTIONS_HEADING, ...lines].join('\n');
}

/** `Tuesday 1 December 2026, 19:55`, in `timeZone` (UTC when the zone is unknown). */
function localNow(now: Date, timeZone: string): string {
  const fmt = (tz: string) =>
    new Intl.DateTimeFormat('en-GB', {
      timeZone: tz,
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(now);
  // Node's en-GB says `Tuesday, 1 December 2026 at 19:55`.
  const said = (tz: string) =>
    fmt(tz)
      .replace(/^(\w+),/, '$1')
      .replace(' at ', ', ');
  try {
    return said(timeZone);
  } catch {
    return `${said('UTC')} UTC`;
  }
}

/**
 * The agent's prompt with the number's BUSINESS PROFILE, for any channel
 * (`ResolvedNumber.system_prompt`); the agent's prompt as written without one.
 */
export function withBusinessProfile(agentPrompt: string, businessProfile: string | null): string {
  return appendSections(agentPrompt, businessProfile ? [businessProfileSection(businessProfile)] : []);
}

function appendSections(agentPrompt: string, sections: string[]): string {
  // Nothing to add: the agent's prompt exactly as written (what SMS always sent).
  if (sections.length === 0) return agentPrompt;
  const agent = agentPrompt.trim() === '' ? [] : [agentPrompt.trimEnd()];
  return [...agent, ...sections].join('\n\n');
}
