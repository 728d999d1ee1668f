/**
 * The system prompt the model gets for one conversation, the same for every
 * channel. Pure: no I/O, so SMS and voice (and tests) compose it alike.
 *
 * Order, each section only when it has content:
 * 1. the agent's prompt (the shared template);
 * 2. BUSINESS PROFILE: the number's `custom_prompt`, which says it wins on a
 *    conflict, so a reseller's per-number details override the template;
 * 3. CALLER HISTORY: earlier exchanges with this caller from another channel
 *    (voice passes the SMS thread; SMS sends its own thread as chat turns);
 * 4. channel notes (`sms`: none, as before voice existed; `voice`: speech).
 */

export const BUSINESS_PROFILE_HEADING = 'BUSINESS PROFILE';
export const CALLER_HISTORY_HEADING = 'CALLER HISTORY';
export const VOICE_NOTES_HEADING = 'VOICE CALL';

export type AgentChannel = 'sms' | 'voice';

/** One utterance of a conversation: the caller's or the agent's. */
export interface AgentTurn {
  from: 'caller' | 'agent';
  text: string;
}

export interface PromptInput {
  /** The agent's prompt (`ResolvedNumber.agent_system_prompt`). */
  agentPrompt: string;
  /** The number's `custom_prompt`; null or empty = no BUSINESS PROFILE section. */
  businessProfile: string | null;
  channel: AgentChannel;
  /** Earlier exchanges with this caller, oldest first, written into the prompt. */
  callerHistory?: readonly AgentTurn[];
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

export function callerHistorySection(history: readonly AgentTurn[]): string {
  return [
    CALLER_HISTORY_HEADING,
    'Earlier messages between you and this caller, oldest first:',
    ...history.map((t) => `${t.from === 'caller' ? 'Caller' : 'You'}: ${t.text.replace(/\s+/g, ' ').trim()}`),
  ].join('\n');
}

export function composeSystemPrompt(input: PromptInput): string {
  const sections: string[] = [];
  if (input.businessProfile) sections.push(businessProfileSection(input.businessProfile));
  if (input.callerHistory?.length) sections.push(callerHistorySection(input.callerHistory));
  const notes = CHANNEL_NOTES[input.channel];
  if (notes) sections.push(notes);
  return appendSections(input.agentPrompt, sections);
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
