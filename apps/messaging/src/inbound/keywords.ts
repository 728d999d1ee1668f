/** Twilio's single-word keywords (trimmed, case-insensitive); see shared/twilio/README.md. */
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

export const REPLY_MAX = 600;

/** Trims a reply into the 600-character safe zone, on a word boundary when one is near. */
export function clampReply(text: string): string {
  const t = text.trim();
  if (t.length <= REPLY_MAX) return t;
  const cut = t.slice(0, REPLY_MAX - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > REPLY_MAX - 80 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
