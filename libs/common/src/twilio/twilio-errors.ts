import twilio from 'twilio';

/**
 * What a failed Twilio REST call means, whoever made it. Each caller maps
 * these kinds to its own decision (numbers: an API error code; messaging:
 * refuse, retry or reconcile):
 *
 * - `auth_failed`: the Account SID / Auth Token were rejected (401 or 20003);
 * - `not_found`: the addressed resource does not exist in that account (404);
 * - `rate_limited`: Twilio refused for load (429 or 20429); nothing was done;
 * - `unavailable`: 5xx, a timeout, a reset or no connection at all. With
 *   `reached: false` the request certainly never got to Twilio (connection
 *   refused, DNS failure); otherwise Twilio may have acted on it;
 * - `refused`: any other answer of Twilio (4xx): final, with Twilio's code.
 *
 * Only status, codes and Twilio's message are kept: SDK and axios errors carry
 * the request, Authorization header included, so they are never passed on whole.
 */
export type TwilioFailureKind = 'auth_failed' | 'not_found' | 'rate_limited' | 'unavailable' | 'refused';

export interface TwilioFailure {
  kind: TwilioFailureKind;
  /** HTTP status Twilio answered; null when no answer came. */
  status: number | null;
  /** Twilio's error code (21610, 20003, ...) when it sent one. */
  twilioCode: number | null;
  /** The network error code (ECONNREFUSED, ETIMEDOUT, ...) when no answer came. */
  networkCode: string | null;
  /** False only when the request certainly never reached Twilio. */
  reached: boolean;
  /** Twilio's or the network's message; never the request. */
  message: string;
}

/** Connection never made: the request cannot have reached Twilio. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function classifyTwilioError(err: unknown): TwilioFailure {
  const e = (err ?? {}) as { status?: unknown; code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const answered = err instanceof twilio.RestException || typeof e.status === 'number';
  if (answered) {
    const status = e.status as number;
    const twilioCode = typeof e.code === 'number' ? e.code : null;
    const base = { status, twilioCode, networkCode: null, reached: true, message };
    if (status === 401 || twilioCode === 20003) return { kind: 'auth_failed', ...base };
    if (status === 429 || twilioCode === 20429) return { kind: 'rate_limited', ...base };
    if (status === 404) return { kind: 'not_found', ...base };
    if (status >= 500) return { kind: 'unavailable', ...base };
    return { kind: 'refused', ...base };
  }
  const networkCode = typeof e.code === 'string' && e.code !== '' ? e.code : null;
  return {
    kind: 'unavailable',
    status: null,
    twilioCode: null,
    networkCode,
    reached: !(networkCode !== null && NEVER_CONNECTED.has(networkCode)),
    message,
  };
}

/** A one-line description safe to log: `Twilio 400/21610: ...` or `ECONNRESET: ...`. */
export function describeTwilioFailure(f: TwilioFailure): string {
  if (f.status !== null) return `Twilio ${f.status}/${f.twilioCode ?? ''}: ${f.message}`;
  return `${f.networkCode ?? 'network error'}: ${f.message}`;
}

/**
 * How a failed create (a message, a call: anything that must happen once)
 * ends for its sender:
 * - `refused`: Twilio answered and said no (21211, 21610, 20003, 404, ...): final;
 * - `retry`: certainly not done (429/20429, connection never made): try again later;
 * - `uncertain`: the request may have reached Twilio (timeout, reset, 5xx): ask
 *   Twilio before any retry.
 */
export type TwilioWriteFailure =
  | { kind: 'refused'; code: string; message: string }
  | {
      kind: 'retry';
      reason: string;
      /** Twilio's 429/20429: the sender should slow down. */
      throttled?: true;
    }
  | { kind: 'uncertain'; reason: string };

/**
 * The outcome of a failed create; `refusal` words a refusal (default: Twilio's
 * code, else the HTTP status, and Twilio's message).
 */
export function twilioWriteFailureOf(
  err: unknown,
  refusal: (f: TwilioFailure) => { code: string; message: string } = (f) => ({
    code: String(f.twilioCode ?? f.status),
    message: f.message,
  }),
): TwilioWriteFailure {
  const f = classifyTwilioError(err);
  switch (f.kind) {
    case 'rate_limited':
      return { kind: 'retry', reason: describeTwilioFailure(f), throttled: true };
    case 'unavailable':
      return { kind: f.reached ? 'uncertain' : 'retry', reason: describeTwilioFailure(f) };
    case 'auth_failed':
    case 'not_found':
    case 'refused':
      return { kind: 'refused', ...refusal(f) };
  }
}
