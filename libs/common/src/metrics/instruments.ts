/**
 * The one-line hooks the instrumented code calls. Each turns what the code
 * has at hand (a routing key, a Twilio URL, an error) into bounded labels.
 */
import { AppError } from '../errors/app-error';
import {
  brokerConsumed,
  brokerDeadLetters,
  brokerPublished,
  brokerRetries,
  llmErrors,
  llmFirstToken,
  llmRequestDuration,
  llmTokens,
  rpcDuration,
  secondsSince,
  smsStatus,
  twilioRequestDuration,
} from './metrics';

/** Times a command from now until its reply settles (`ok`, else the error code). */
export function observeRpc(command: string, reply: Promise<unknown>): void {
  const start = performance.now();
  reply.then(
    () => rpcDuration.observe({ command, outcome: 'ok' }, secondsSince(start)),
    (err: unknown) =>
      rpcDuration.observe(
        { command, outcome: err instanceof AppError ? err.code : 'error' },
        secondsSince(start),
      ),
  );
}

/**
 * A publish, labelled by exchange kind (`commands`, `events`, `dlx`, or
 * `default` for a direct send to a queue) and key: the routing key on our
 * exchanges, the queue's kind (`<service>.retry`) on the default one, and
 * `reply` for a command's answer (a per-caller reply-to queue).
 */
export function countPublish(prefix: string, exchange: string, routingKey: string, ok: boolean): void {
  let kind: string;
  let key = routingKey;
  if (exchange === '') {
    kind = 'default';
    key = routingKey.startsWith(`${prefix}.`) ? routingKey.slice(prefix.length + 1) : 'reply';
  } else {
    kind = exchange.startsWith(`${prefix}.`) ? exchange.slice(prefix.length + 1) : 'other';
    if (kind === 'dlx') key = routingKey.startsWith(`${prefix}.`) ? routingKey.slice(prefix.length + 1) : '';
  }
  brokerPublished.inc({ exchange: kind, key, outcome: ok ? 'ok' : 'error' });
}

export type ConsumeOutcome = 'ack' | 'retry' | 'dead_letter' | 'requeue';
export type DeadLetterReason = 'no_handler' | 'bad_json' | 'refused' | 'exhausted';

/** A consumed message's end; `queue` is `<service>.commands` or `<service>.events` (no prefix). */
export function countConsume(queue: string, outcome: ConsumeOutcome): void {
  brokerConsumed.inc({ queue, outcome });
  if (outcome === 'retry') brokerRetries.inc({ queue });
}

export function countDeadLetter(queue: string, reason: DeadLetterReason): void {
  brokerDeadLetters.inc({ queue, reason });
}

/** An SMS status change as recorded. */
export function countSmsStatus(status: string, errorCode: string | number | null | undefined): void {
  smsStatus.inc({ status, error_code: errorCode == null ? '' : String(errorCode) });
}

const SID = /^[A-Z]{2}[0-9a-f]{32}$/;
const WORD = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * A Twilio URL as an operation label: the method and the path with every
 * SID, number or other value replaced by `:id`, the `/2010-04-01/Accounts/:id`
 * prefix dropped, the API's subdomain in front when not `api` -
 * `POST Messages`, `GET Messages/:id`, `lookups GET v2/PhoneNumbers/:id`.
 */
export function twilioOperation(method: string, uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `${method.toUpperCase()} other`;
  }
  const parts = url.pathname
    .replace(/\.json$/, '')
    .split('/')
    .filter(Boolean)
    .map((p) => (WORD.test(p) && !SID.test(p) ? p : ':id'));
  const path = (parts[0] === ':id' && parts[1] === 'Accounts' ? parts.slice(3) : parts).join('/');
  const api = url.hostname.split('.')[0];
  return `${api === 'api' || !url.hostname.endsWith('twilio.com') ? '' : `${api} `}${method.toUpperCase()} ${path || '/'}`;
}

/** Times a Twilio request; the status is the HTTP status of its answer, `error` when none came. */
export async function timeTwilio<T extends { statusCode: number }>(
  operation: string,
  request: Promise<T>,
): Promise<T> {
  const start = performance.now();
  try {
    const res = await request;
    twilioRequestDuration.observe({ operation, status: String(res.statusCode) }, secondsSince(start));
    return res;
  } catch (err) {
    twilioRequestDuration.observe({ operation, status: 'error' }, secondsSince(start));
    throw err;
  }
}

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

/** One LLM completion's timing, tokens and failure. */
export class LlmTimer {
  private readonly start = performance.now();
  private first = true;

  constructor(
    private readonly purpose: string,
    private readonly mode: 'complete' | 'stream',
  ) {}

  /** A streamed chunk arrived (the first one stops the first-token clock); its usage when it has one. */
  chunk(usage?: Usage | null): void {
    if (this.first) llmFirstToken.observe({ purpose: this.purpose }, secondsSince(this.start));
    this.first = false;
    this.tokens(usage);
  }

  done(usage?: Usage | null): void {
    llmRequestDuration.observe(
      { purpose: this.purpose, mode: this.mode, outcome: 'ok' },
      secondsSince(this.start),
    );
    this.tokens(usage);
  }

  /** Records the failure; returns `err` (to be thrown). */
  fail<E extends { status?: number; aborted?: boolean }>(err: E): E {
    llmRequestDuration.observe(
      { purpose: this.purpose, mode: this.mode, outcome: 'error' },
      secondsSince(this.start),
    );
    const reason = err.aborted ? 'aborted' : err.status !== undefined ? String(err.status) : 'connection';
    llmErrors.inc({ purpose: this.purpose, reason });
    return err;
  }

  private tokens(usage?: Usage | null): void {
    if (!usage) return;
    if (usage.prompt_tokens) llmTokens.inc({ purpose: this.purpose, kind: 'prompt' }, usage.prompt_tokens);
    if (usage.completion_tokens)
      llmTokens.inc({ purpose: this.purpose, kind: 'completion' }, usage.completion_tokens);
  }
}
