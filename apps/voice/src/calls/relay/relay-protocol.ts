/**
 * Twilio ConversationRelay's WebSocket protocol as a discriminated union:
 * what Twilio sends us (`setup | prompt | interrupt | dtmf | error`) and what
 * we send back (`text | end | play | sendDigits | language`). Frames are
 * checked once, here, so the session switches over types it can trust.
 */

export interface SetupFrame {
  type: 'setup';
  sessionId: string;
  callSid: string;
  accountSid: string;
  from: string;
  to: string;
  direction: string;
  customParameters: Record<string, string>;
}

/** What the caller said; `last:false` frames are partial transcripts (ignored). */
export interface PromptFrame {
  type: 'prompt';
  voicePrompt: string;
  lang: string | null;
  last: boolean;
}

/** The caller spoke over the agent: only `utteranceUntilInterrupt` was heard. */
export interface InterruptFrame {
  type: 'interrupt';
  utteranceUntilInterrupt: string;
  durationUntilInterruptMs: number | null;
}

export interface DtmfFrame {
  type: 'dtmf';
  digit: string;
}

export interface ErrorFrame {
  type: 'error';
  description: string;
}

export type RelayInbound = SetupFrame | PromptFrame | InterruptFrame | DtmfFrame | ErrorFrame;

export type RelayOutbound =
  | { type: 'text'; token: string; last: boolean }
  | { type: 'end'; handoffData?: string }
  | { type: 'play'; source: string; loop?: number; preemptible?: boolean; interruptible?: boolean }
  | { type: 'sendDigits'; digits: string }
  | { type: 'language'; ttsLanguage?: string; transcriptionLanguage?: string };

type Json = Record<string, unknown>;

const str = (o: Json, key: string): string | null => (typeof o[key] === 'string' ? o[key] : null);

/** A frame from Twilio, or null when it is not one we understand (not JSON, unknown type, bad fields). */
export function parseInbound(raw: string): RelayInbound | null {
  let o: Json;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    o = parsed as Json;
  } catch {
    return null;
  }
  switch (o.type) {
    case 'setup': {
      const callSid = str(o, 'callSid');
      if (!callSid) return null;
      return {
        type: 'setup',
        sessionId: str(o, 'sessionId') ?? '',
        callSid,
        accountSid: str(o, 'accountSid') ?? '',
        from: str(o, 'from') ?? '',
        to: str(o, 'to') ?? '',
        direction: str(o, 'direction') ?? '',
        customParameters: stringRecord(o.customParameters),
      };
    }
    case 'prompt': {
      const voicePrompt = str(o, 'voicePrompt');
      if (voicePrompt === null) return null;
      // Without `last`, the prompt is complete (partial prompts are opt-in).
      return { type: 'prompt', voicePrompt, lang: str(o, 'lang'), last: o.last !== false };
    }
    case 'interrupt':
      return {
        type: 'interrupt',
        utteranceUntilInterrupt: str(o, 'utteranceUntilInterrupt') ?? '',
        durationUntilInterruptMs:
          typeof o.durationUntilInterruptMs === 'number' ? o.durationUntilInterruptMs : null,
      };
    case 'dtmf': {
      const digit = str(o, 'digit');
      return digit === null ? null : { type: 'dtmf', digit };
    }
    case 'error':
      return { type: 'error', description: str(o, 'description') ?? '' };
    default:
      return null;
  }
}

function stringRecord(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

export function encodeOutbound(frame: RelayOutbound): string {
  return JSON.stringify(frame);
}
