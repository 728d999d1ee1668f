import type { SmsLoopSignal } from '@nixflex/common';

/**
 * The auto-responder loop detector: pure, over the recent thread of one
 * conversation (our number + the contact). Two auto-responders (or one and
 * our agent) can text each other forever; these signs tell such a thread
 * from a person's, and keep false positives low (one fast text alone never
 * trips it):
 *
 * - `auto_reply_marker`: the text says it is automatic ("auto-reply", "out of
 *   office", "do not reply", "this is an automated message", ...; some, like
 *   "I am away", only at the start, where auto-replies put them).
 * - `fast_replies`: `fastStreak` texts in a row, each arriving sooner after a
 *   reply of ours than a person could read it and type that many characters
 *   (`fastBaseMs + fastMsPerChar x length`).
 * - `repeated_text`: `repeats` texts in a row with the same words (ignoring
 *   case, spaces and punctuation, at least `REPEAT_MIN_CHARS` long, so "ok"
 *   three times is a person), each after the first sent after a reply of
 *   ours ("hello?" three times to an agent that does not answer is a person).
 *
 * The thread given is the conversation's last messages within the cooldown,
 * so a sign keeps the conversation unanswered until it is `cooldown` old.
 */

export type LoopSignal = SmsLoopSignal;

export interface ThreadMessage {
  id: string;
  direction: 'inbound' | 'outbound';
  body: string;
  at: Date;
}

export interface LoopThresholds {
  fastBaseMs: number;
  fastMsPerChar: number;
  fastStreak: number;
  repeats: number;
}

export interface LoopVerdict {
  signal: LoopSignal;
  /** The contact's text that showed it. */
  messageId: string;
  at: Date;
  /** What was seen: the marker, the streak, the repeated words. */
  detail: string;
}

/** Shorter texts (after normalising) are not counted as repeats: people do say "ok" three times. */
export const REPEAT_MIN_CHARS = 10;

/** Markers found anywhere in a text (lower case, curly apostrophes straightened). */
const MARKERS_ANYWHERE = [
  'auto-reply',
  'auto reply',
  'autoreply',
  'auto-response',
  'autoresponder',
  'auto-responder',
  'automatic reply',
  'automatic response',
  'automated reply',
  'automated response',
  'automated message',
  'automatic message',
  'this is an automated',
  'this is an automatic',
  'out of office',
  'out-of-office',
  'do not reply',
  "please don't reply",
  'no-reply',
  'noreply',
  'sent automatically',
  'do not disturb while driving',
  'driving focus',
];

/** Markers that count only at the start of a text ("I am away next week, can I book Monday?" is a person). */
const MARKERS_AT_START = [
  'i am away',
  "i'm away",
  'i am currently away',
  "i'm currently away",
  'i am out of the office',
  "i'm out of the office",
  "i'm driving",
  'i am driving',
];

/** The auto-reply marker in `body`, or null. */
export function autoReplyMarker(body: string): string | null {
  const text = body
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
  const start = text.replace(/^[^a-z']+/, '');
  return (
    MARKERS_ANYWHERE.find((m) => text.includes(m)) ??
    MARKERS_AT_START.find((m) => start.startsWith(m)) ??
    null
  );
}

/** The words of a text for comparing repeats: lower case, letters and digits only, single spaces. */
function words(body: string): string {
  return body
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Sooner than this after our reply, a text of `chars` characters did not come from a person typing. */
export function fastLimitMs(chars: number, t: Pick<LoopThresholds, 'fastBaseMs' | 'fastMsPerChar'>): number {
  return t.fastBaseMs + t.fastMsPerChar * chars;
}

/**
 * The latest sign of a loop in `thread` (oldest first), or null. Only the
 * contact's texts are signs; our messages are what fast and repeated texts
 * answer. Texts before `since` are context (a streak may start there) but
 * not signs themselves.
 */
export function detectLoop(
  thread: readonly ThreadMessage[],
  t: LoopThresholds,
  since?: Date,
): LoopVerdict | null {
  let latest: LoopVerdict | null = null;
  let streak = 0;
  let repeated = { words: '', count: 0 };
  for (let i = 0; i < thread.length; i++) {
    const m = thread[i];
    if (m.direction !== 'inbound') continue;
    const prev = i > 0 ? thread[i - 1] : undefined;
    const afterOurs = prev?.direction === 'outbound';
    const chars = [...m.body].length;
    const fast = afterOurs && m.at.getTime() - prev.at.getTime() < fastLimitMs(chars, t);
    streak = fast ? streak + 1 : 0;
    const w = words(m.body);
    // A run of repeats starts with any text; it goes on only with the same words after a reply of ours.
    if (w.length < REPEAT_MIN_CHARS) repeated = { words: '', count: 0 };
    else if (afterOurs && w === repeated.words) repeated = { words: w, count: repeated.count + 1 };
    else repeated = { words: w, count: 1 };

    const sign = (signal: LoopSignal, detail: string): LoopVerdict => ({
      signal,
      messageId: m.id,
      at: m.at,
      detail,
    });
    if (since && m.at < since) continue;
    const marker = autoReplyMarker(m.body);
    if (marker) latest = sign('auto_reply_marker', `the text says "${marker}"`);
    else if (repeated.count >= t.repeats)
      latest = sign('repeated_text', `${repeated.count} identical texts in a row, each after a reply`);
    else if (streak >= t.fastStreak)
      latest = sign(
        'fast_replies',
        `${streak} texts in a row, each faster after a reply than a person types`,
      );
  }
  return latest;
}
