import { Injectable } from '@nestjs/common';
import type { ResolvedNumber } from '../contracts';
import { ChatMessage, ChatRequest, LlmClient } from './llm-client';
import { AgentChannel, AgentTurn, CallerHistory, composeSystemPrompt } from './prompt';

/** What of a resolved number the agent's reply depends on. */
export type AgentNumber = Pick<ResolvedNumber, 'agent_system_prompt' | 'custom_prompt' | 'llm_model'>;

export interface AgentReplyRequest {
  number: AgentNumber;
  channel: AgentChannel;
  /**
   * This conversation so far, oldest first, ending with what the caller just
   * said: sent as chat turns (caller = `user`, agent = `assistant`).
   */
  turns: readonly AgentTurn[];
  /** Earlier calls and texts with this caller, written into the system prompt. */
  callerHistory?: CallerHistory;
  signal?: AbortSignal;
}

/**
 * The agent's next utterance for any channel: composes the system prompt
 * (agent prompt, BUSINESS PROFILE, caller history, channel notes) and the
 * chat turns, and asks the model, at once (`reply`, SMS) or token by token
 * (`stream`, voice). Errors are `LlmError`s. Channel limits (SMS's 600
 * characters) are the caller's business.
 */
@Injectable()
export class AgentReplyGenerator {
  constructor(private readonly llm: LlmClient) {}

  /** False without `LLM_BASE_URL`: callers record that no reply can be made. */
  get configured(): boolean {
    return this.llm.configured;
  }

  reply(req: AgentReplyRequest): Promise<string> {
    return this.llm.complete(this.request(req));
  }

  stream(req: AgentReplyRequest): AsyncGenerator<string, void, undefined> {
    return this.llm.stream(this.request(req));
  }

  private request(req: AgentReplyRequest): ChatRequest {
    return { model: req.number.llm_model, messages: agentMessages(req), signal: req.signal };
  }
}

/** The chat messages of a reply request: the composed system prompt, then the turns. */
export function agentMessages(req: Omit<AgentReplyRequest, 'signal'>): ChatMessage[] {
  const system = composeSystemPrompt({
    agentPrompt: req.number.agent_system_prompt,
    businessProfile: req.number.custom_prompt,
    channel: req.channel,
    callerHistory: req.callerHistory,
  });
  return [
    { role: 'system', content: system },
    ...req.turns.map((t): ChatMessage => ({
      role: t.from === 'caller' ? 'user' : 'assistant',
      content: t.text,
    })),
  ];
}
