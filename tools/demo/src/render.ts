/**
 * How the demo shows things: each request as the `curl` a user would type
 * (secrets as shell variables, never their values) and each answer as pretty
 * JSON with secrets masked and long output trimmed.
 */

/** A value the demo sends but prints only as a shell variable, e.g. `$TWILIO_TOKEN`. */
export class Secret {
  constructor(
    readonly variable: string,
    readonly value: string,
  ) {}
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  /** Sent as `Authorization: Bearer ...`, shown as `$VARIABLE`. */
  bearer?: Secret;
  /** JSON body; `Secret` leaves are shown as their variable. */
  body?: unknown;
}

/** Single-quotes a string for a POSIX shell. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_\-./:=@%+,]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Brackets a secret's variable name inside the JSON text; JSON.stringify leaves it unescaped (private use). */
const MARK = '\uE000';

/** The body as JSON with each secret's real value (what is sent). */
export function bodyToSend(body: unknown): string {
  return JSON.stringify(body, (_k, v: unknown) => (v instanceof Secret ? v.value : v));
}

/**
 * The body as a shell word: single-quoted JSON, with every secret spliced in
 * as a double-quoted variable (`'{"token":"'"$TOKEN"'"}'`), so the command
 * works when pasted after `TOKEN=...`.
 */
export function bodyAsShellWord(body: unknown): string {
  const json = JSON.stringify(body, (_k, v: unknown) =>
    v instanceof Secret ? `${MARK}${v.variable}${MARK}` : v,
  );
  const parts = json.split(MARK);
  let out = '';
  parts.forEach((part, i) => {
    if (i % 2 === 1) out += `"$${part}"`;
    else if (part) out += `'${part.replace(/'/g, `'\\''`)}'`;
  });
  return out;
}

/** `curl -sS ...` split over lines with backslashes, the way one would type it. */
export function curlCommand(req: RequestSpec): string {
  const words: string[][] = [['curl', '-sS']];
  if (req.method !== 'GET') words[0].push('-X', req.method);
  words[0].push(shellQuote(req.url));
  if (req.bearer) words.push(['-H', `"Authorization: Bearer $${req.bearer.variable}"`]);
  if (req.body !== undefined) {
    words.push(['-H', shellQuote('Content-Type: application/json')]);
    words.push(['-d', bodyAsShellWord(req.body)]);
  }
  return words.map((w, i) => (i === 0 ? '$ ' : '    ') + w.join(' ')).join(' \\\n');
}

/** Keys whose values are never printed in full. */
const SECRET_KEYS = new Set(['auth_token', 'twilio_token', 'token', 'secret', 'password']);

/** `key_0123456789abcdef:sk_abcdef...` -> `key_0123456789abcdef:sk_abcd…` (the secret part cut). */
export function abbreviateApiKey(apiKey: string): string {
  const [id, secret = ''] = apiKey.split(':');
  return `${id}:${secret.slice(0, 7)}…`;
}

/** API key secrets (`sk_...`) cut from text that is about to be printed. */
export function hideKeySecrets(text: string): string {
  return text.replace(/sk_[A-Za-z0-9_-]+/g, 'sk_****');
}

/** A copy of `value` with secrets masked: token fields `****`, API keys abbreviated, known secret strings hidden. */
export function mask(value: unknown, known: string[] = []): unknown {
  if (typeof value === 'string') {
    let s = value;
    for (const k of known) if (k && s.includes(k)) s = s.split(k).join('****');
    return s;
  }
  if (Array.isArray(value)) return value.map((v) => mask(v, known));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (SECRET_KEYS.has(k) && typeof v === 'string') out[k] = '****';
      else if (k === 'api_key' && typeof v === 'string') out[k] = abbreviateApiKey(v);
      else out[k] = mask(v, known);
    }
    return out;
  }
  return value;
}

/** Pretty JSON, at most `maxLines` lines (the rest counted, not shown). */
export function prettyJson(value: unknown, maxLines = 40): string {
  const text = value === undefined ? '(empty)' : JSON.stringify(value, null, 2);
  const lines = text.split('\n');
  if (lines.length <= maxLines) return text;
  return [...lines.slice(0, maxLines), `  … (${lines.length - maxLines} more lines)`].join('\n');
}
