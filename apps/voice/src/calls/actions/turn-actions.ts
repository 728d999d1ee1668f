import type { AgentActions, AgentTool } from '@nixflex/common/agent';
import type { ToolCall } from '@nixflex/common/agent';
import type { Call } from '../data/call.entities';
import type { CallSms, CallSmsOutcome } from './call-sms';

/** What the caller hears while tools run, unless the model already said something. */
export const FILLER_CHECKING = 'One moment while I check.';
export const FILLER_TEXTING = 'One moment.';

export const SEND_SMS_TOOL = 'send_sms';

/** The filler for a round of tool calls: a text alone is quick, anything else is a lookup. */
export function fillerFor(calls: readonly ToolCall[]): string {
  return calls.every((c) => c.name === SEND_SMS_TOOL) ? FILLER_TEXTING : FILLER_CHECKING;
}

/** How long a tag's text is quoted in the note that tells the agent what came of it. */
const NOTE_QUOTE_CHARS = 80;

/**
 * What the agent can do during one of its turns on a call, and what came of
 * it: the tools offered (`send_sms`, plus whatever `extraTools` gives: the
 * calendar's when the number has one), the prompt's ACTIONS, and the turn's
 * `[SEND_SMS: …]` tags. Tags and the tool end in the same `CallSms.send`; the
 * same text asked twice in one turn (twice tagged, or tagged and the tool) is
 * sent once. Idempotency keys are stable for a retried turn: a tag's is
 * `${call}:turn:${n}:sms:${k}` (n = this agent turn's index among the
 * conversation's agent turns, k = the tag's index in the turn), the tool's
 * `${call}:tool:${toolCallId}`.
 */
export class TurnActions {
  readonly tools: AgentTool[];
  private readonly texts = new Map<string, Promise<CallSmsOutcome>>();
  private tags = 0;

  constructor(
    private readonly sms: CallSms,
    private readonly call: Call,
    /** This agent turn's index in the conversation (the greeting is 0). */
    private readonly turnIndex: number,
    readonly actions: AgentActions,
    extraTools: readonly AgentTool[],
    /** Told what came of a tag's SMS (the agent hears it as a note before the caller's next turn). */
    private readonly onNote: (note: string) => void,
  ) {
    this.tools = [this.sendSmsTool(), ...extraTools];
  }

  /**
   * A `[SEND_SMS: text]` that closed in the agent's words: sent at once, never
   * awaited by the stream. Resolves once the agent's note about it is given.
   */
  tag(text: string): Promise<void> {
    const key = `${this.call.id}:turn:${this.turnIndex}:sms:${this.tags++}`;
    return this.sendOnce(text, key).then((outcome) => this.onNote(tagNote(text, outcome)));
  }

  private sendOnce(text: string, key: string): Promise<CallSmsOutcome> {
    const same = this.texts.get(text);
    if (same) return same;
    const sending = this.sms.send(this.call, text, key);
    this.texts.set(text, sending);
    return sending;
  }

  private sendSmsTool(): AgentTool {
    return {
      spec: {
        name: SEND_SMS_TOOL,
        description:
          'Texts the caller (SMS from the number they are talking to): links, addresses, codes, confirmations they should keep. Tell them once it is sent.',
        parameters: {
          type: 'object',
          properties: { text: { type: 'string', description: 'The SMS text, at most 1600 characters' } },
          required: ['text'],
          additionalProperties: false,
        },
      },
      run: async (args, ctx) => {
        const text = typeof args.text === 'string' ? args.text.trim() : '';
        if (text === '') {
          return JSON.stringify({ ok: false, error: 'invalid_arguments', say: 'There was no text to send.' });
        }
        return JSON.stringify(await this.sendOnce(text, `${this.call.id}:tool:${ctx.toolCallId}`));
      },
    };
  }
}

function tagNote(text: string, outcome: CallSmsOutcome): string {
  const quoted = text.length > NOTE_QUOTE_CHARS ? `${text.slice(0, NOTE_QUOTE_CHARS)}…` : text;
  return outcome.ok
    ? `The text you asked for with SEND_SMS ("${quoted}") was sent to the caller.`
    : `The text you asked for with SEND_SMS ("${quoted}") was not sent: ${outcome.say}`;
}
