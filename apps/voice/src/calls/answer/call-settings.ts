import { ResolvedNumber, config } from '@nixflex/common';
import { AgentNumber, renderGreeting } from '@nixflex/common/agent';
import type { Call } from '../data/call.entities';

/** What of a call decides how its agent sounds and what it knows. */
export type CallBrief = Pick<Call, 'prompt' | 'firstMessage'>;

/** The voice a call is answered with: the number's (else its agent's, see ResolvedNumber), else VOICE_DEFAULT_VOICE. */
export function voiceFor(number: Pick<ResolvedNumber, 'voice'>): string {
  return number.voice?.trim() || config().voice.defaultVoice;
}

/**
 * What the caller hears first: an outbound call's `first_message`, else the
 * number's (else agent's) welcome greeting, else the default, with the
 * business name taken from the call's prompt or the number's profile.
 */
export function greetingFor(call: CallBrief, number: ResolvedNumber): string {
  return renderGreeting({
    template: call.firstMessage ?? number.welcome_greeting,
    businessProfile: call.prompt ?? number.custom_prompt,
    agentName: number.agent_name,
  });
}

/** The number as the agent sees it on this call: an outbound call's prompt replaces the business profile. */
export function agentNumberFor(call: CallBrief, number: ResolvedNumber): AgentNumber {
  return {
    agent_system_prompt: number.agent_system_prompt,
    custom_prompt: call.prompt ?? number.custom_prompt,
    llm_model: number.llm_model,
  };
}
