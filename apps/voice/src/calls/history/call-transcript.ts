/** Longest transcript an earlier call is summarised to. */
export const TRANSCRIPT_MAX = 300;

export interface TranscriptTurn {
  role: 'caller' | 'agent';
  text: string;
}

/**
 * An earlier call in a line, for another conversation's prompt: the caller's
 * first words and the last exchange (`Caller: ... / You: ... / … / Caller:
 * ... / You: ...`), clipped to TRANSCRIPT_MAX characters. Pure.
 */
export function shortTranscript(turns: readonly TranscriptTurn[], max = TRANSCRIPT_MAX): string {
  const said = turns.filter((t) => t.text.trim() !== '');
  if (said.length === 0) return '';
  const firstCaller = said.findIndex((t) => t.role === 'caller');
  const lastCaller = findLastIndex(said, (t) => t.role === 'caller');
  const picked = new Set<number>();
  if (firstCaller >= 0) picked.add(firstCaller);
  // The last exchange: the caller's last words and what the agent answered after them.
  const from = lastCaller >= 0 ? lastCaller : said.length - 1;
  for (let i = from; i < said.length && i <= from + 1; i++) picked.add(i);
  const indexes = [...picked].sort((a, b) => a - b);
  const parts: string[] = [];
  indexes.forEach((index, n) => {
    if (n > 0 && index > indexes[n - 1] + 1) parts.push('…');
    const t = said[index];
    parts.push(`${t.role === 'caller' ? 'Caller' : 'You'}: ${t.text.replace(/\s+/g, ' ').trim()}`);
  });
  const line = parts.join(' / ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function findLastIndex<T>(items: readonly T[], pred: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i])) return i;
  return -1;
}
