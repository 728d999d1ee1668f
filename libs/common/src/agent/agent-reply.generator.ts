import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedNumber } from '../contracts';
import { ChatMessage, ChatRequest, LlmClient, LlmDelta, ToolCall } from './llm-client';
import { LLM_SETTINGS, LlmSettings } from './llm-settings';
import { AgentActions, AgentChannel, AgentTurn, CallerHistory, composeSystemPrompt } from './prompt';
import { AgentTool, ToolLimits, ToolRun, runToolCalls } from './tools';
import type { LlmUsage } from './usage';

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
  /** Described in the prompt's ACTIONS section (the tools themselves come with `tools`). */
  actions?: AgentActions;
  /** Told the tokens of each model call the reply makes (a `UsageTally`'s `add`). */
  onUsage?: (usage: LlmUsage) => void;
}

/** A reply request that may use tools. */
export interface AgentToolRequest extends AgentReplyRequest {
  tools?: readonly AgentTool[];
  /** Defaults: AGENT_TOOL_MAX_ROUNDS and AGENT_TOOL_MAX_MS. */
  limits?: ToolLimits;
}

/**
 * One step of an agent turn that may use tools: words as they come; the
 * moment the model asks for tools (`tools`, so a call can say "one moment");
 * and what they answered (`tool_results`), after which the words go on.
 */
export type AgentStep =
  | { type: 'text'; text: string }
  | { type: 'tools'; calls: ToolCall[] }
  | { type: 'tool_results'; runs: ToolRun[] };

/** What the summary of a call is given, at most. */
const SUMMARY_TRANSCRIPT_CHARS = 6000;
const SUMMARY_MAX_TOKENS = 120;

/**
 * The agent's next utterance for any channel: composes the system prompt
 * (agent prompt, BUSINESS PROFILE, caller history, channel notes) and the
 * chat turns, and asks the model, at once (`reply`, SMS) or token by token
 * (`stream`, voice). Errors are `LlmError`s. Channel limits (SMS's 600
 * characters) are the caller's business.
 */
@Injectable()
export class AgentReplyGenerator {
  constructor(
    private readonly llm: LlmClient,
    @Inject(LLM_SETTINGS) private readonly settings: LlmSettings,
  ) {}

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

  /**
   * A streamed turn that may use tools: the model's words as they come; when
   * it asks for tools, they run (side by side, bounded by the turn's time)
   * and the model is asked again with their results, at most `maxRounds`
   * times, after which it is asked to answer in words (tool_choice none).
   */
  async *streamWithTools(req: AgentToolRequest): AsyncGenerator<AgentStep, void, undefined> {
    yield* this.toolLoop(req, (r) => this.llm.streamTurn(r));
  }

  /** `streamWithTools` for a channel that sends whole answers (SMS): the final words, and every tool run. */
  async replyWithTools(req: AgentToolRequest): Promise<{ text: string; runs: ToolRun[] }> {
    let text = '';
    const runs: ToolRun[] = [];
    for await (const step of this.toolLoop(req, (r) => whole(this.llm.completeTurn(r)))) {
      // Words said before a tool round are the model thinking aloud; the answer is what follows the last one.
      if (step.type === 'tools') text = '';
      else if (step.type === 'text') text += step.text;
      else runs.push(...step.runs);
    }
    return { text, runs };
  }

  private async *toolLoop(
    req: AgentToolRequest,
    ask: (r: ChatRequest) => AsyncIterable<LlmDelta>,
  ): AsyncGenerator<AgentStep, void, undefined> {
    const tools = req.tools ?? [];
    const limits = req.limits ?? { maxRounds: this.settings.toolMaxRounds, maxMs: this.settings.toolMaxMs };
    const messages = agentMessages(req);
    const deadline = performance.now() + limits.maxMs;
    for (let round = 0; ; round++) {
      const mayCall = tools.length > 0 && round < limits.maxRounds && performance.now() < deadline;
      let said = '';
      let calls: ToolCall[] = [];
      for await (const delta of ask({
        ...this.request(req),
        messages,
        tools: tools.length > 0 ? tools.map((t) => t.spec) : undefined,
        toolChoice: mayCall ? 'auto' : 'none',
      })) {
        if (delta.type === 'text') {
          said += delta.text;
          yield delta;
        } else calls = delta.calls;
      }
      if (calls.length === 0 || !mayCall) return;
      yield { type: 'tools', calls };
      const runs = await runToolCalls(tools, calls, deadline, req.signal);
      if (req.signal?.aborted) return;
      messages.push({ role: 'assistant', content: said === '' ? null : said, tool_calls: calls });
      for (const run of runs) messages.push({ role: 'tool', tool_call_id: run.call.id, content: run.result });
      yield { type: 'tool_results', runs };
    }
  }

  /**
   * A call's summary in at most two sentences, for the post-call SMS and the
   * customer's webhook; null when there is nothing to summarise. Bounded in
   * tokens and time; errors are the caller's to swallow (`LlmError`).
   */
  async summarize(
    number: AgentNumber,
    turns: readonly AgentTurn[],
    opts: { timeoutMs: number; onUsage?: (usage: LlmUsage) => void },
  ): Promise<string | null> {
    const lines = turns
      .filter((t) => t.from !== 'note' && t.text.trim() !== '')
      .map((t) => `${t.from === 'caller' ? 'Caller' : 'Agent'}: ${t.text.trim()}`);
    if (!lines.some((l) => l.startsWith('Caller:'))) return null;
    let transcript = lines.join('\n');
    if (transcript.length > SUMMARY_TRANSCRIPT_CHARS)
      transcript = transcript.slice(-SUMMARY_TRANSCRIPT_CHARS);
    const text = await this.llm.complete({
      model: number.llm_model,
      maxTokens: SUMMARY_MAX_TOKENS,
      signal: AbortSignal.timeout(opts.timeoutMs),
      onUsage: opts.onUsage,
      purpose: 'summary',
      messages: [
        {
          role: 'system',
          content:
            'You write short records of phone calls for the business that took them. Write at most two plain sentences: why the caller called and what was agreed or done (a booking with its time, a text sent, a callback promised). No greeting, no markdown.',
        },
        { role: 'user', content: `Summarise this call.\n\n${transcript}` },
      ],
    });
    const summary = text.replace(/\s+/g, ' ').trim();
    return summary === '' ? null : summary.slice(0, 500);
  }

  private request(req: AgentReplyRequest): ChatRequest {
    return {
      model: req.number.llm_model,
      messages: agentMessages(req),
      signal: req.signal,
      onUsage: req.onUsage,
      purpose: req.channel,
      maxTokens: req.channel === 'voice' ? this.settings.voiceMaxTokens : this.settings.maxTokens,
    };
  }
}

/** The chat messages of a reply request: the composed system prompt, then the turns. */
export function agentMessages(req: Omit<AgentReplyRequest, 'signal'>): ChatMessage[] {
  const system = composeSystemPrompt({
    agentPrompt: req.number.agent_system_prompt,
    businessProfile: req.number.custom_prompt,
    channel: req.channel,
    callerHistory: req.callerHistory,
    actions: req.actions,
  });
  return [{ role: 'system', content: system }, ...req.turns.map(chatTurn)];
}

function chatTurn(t: AgentTurn): ChatMessage {
  if (t.from === 'caller') return { role: 'user', content: t.text };
  if (t.from === 'agent') return { role: 'assistant', content: t.text };
  return { role: 'system', content: `Note from the system: ${t.text}` };
}

/** A whole answer as the steps a stream would give. */
async function* whole(answer: Promise<{ text: string; toolCalls: ToolCall[] }>): AsyncGenerator<LlmDelta> {
  const { text, toolCalls } = await answer;
  if (text !== '') yield { type: 'text', text };
  if (toolCalls.length > 0) yield { type: 'tool_calls', calls: toolCalls };
}
