/**
 * `[SEND_SMS: text]` in the agent's streamed answer: the text is texted to
 * the caller and the tag is never spoken. Tokens split a tag anywhere
 * (`[SEND`, `_SMS: your`, ` code]`), so output is held back from a `[` until
 * the tag closes (an action) or proves not to be one (said as it was). A tag
 * still open when the answer ends is dropped, never spoken.
 */

const OPENING = '[SEND_SMS:';
/** A tag longer than this without its `]` is no tag: it is dropped (an SMS is at most 1600 characters). */
const MAX_TAG = OPENING.length + 1700;

export interface FilteredChunk {
  /** What may be spoken now. */
  text: string;
  /** The texts of tags that closed in this chunk, trimmed, in order (empty ones left out). */
  sms: string[];
}

export class ActionTagFilter {
  private held = '';
  /** What was last let through ends in a space (or nothing was yet): a tag's trailing space is then dropped. */
  private spaced = true;
  /** A tag was just taken out: the whitespace that follows it is dropped when `spaced` (no double space). */
  private afterTag = false;

  /** Takes the next delta of the answer; returns what can be spoken and any tag completed. */
  push(delta: string): FilteredChunk {
    let rest = this.held + delta;
    this.held = '';
    let text = '';
    const sms: string[] = [];
    const say = (words: string) => {
      if (this.afterTag && this.spaced) words = words.replace(/^\s+/, '');
      if (words === '') return;
      this.afterTag = false;
      this.spaced = /\s$/.test(words);
      text += words;
    };
    for (;;) {
      const open = rest.indexOf('[');
      if (open < 0) {
        say(rest);
        break;
      }
      say(rest.slice(0, open));
      rest = rest.slice(open);
      const head = rest.slice(0, OPENING.length).toUpperCase();
      if (!OPENING.startsWith(head)) {
        // Not our tag: the bracket is spoken, and scanning goes on after it.
        say('[');
        rest = rest.slice(1);
        continue;
      }
      if (head.length < OPENING.length) {
        this.held = rest; // could still become a tag
        break;
      }
      const close = rest.indexOf(']');
      if (close < 0) {
        // An open tag: hold it, unless it has grown past any SMS (then it is dropped).
        if (rest.length <= MAX_TAG) this.held = rest;
        break;
      }
      const body = rest.slice(OPENING.length, close).trim();
      if (body !== '') sms.push(body);
      this.afterTag = true;
      rest = rest.slice(close + 1);
    }
    return { text, sms };
  }

  /**
   * The answer ended: whatever is held (an open tag, or the start of one such
   * as `[SEND`) is dropped, never spoken.
   */
  end(): FilteredChunk {
    this.held = '';
    return { text: '', sms: [] };
  }
}

/** Every `[SEND_SMS: text]` of a whole answer taken out: what is left to say, and the texts. */
export function extractActionTags(answer: string): FilteredChunk {
  const filter = new ActionTagFilter();
  const a = filter.push(answer);
  const b = filter.end();
  return { text: a.text + b.text, sms: [...a.sms, ...b.sms] };
}
