import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * The request id of the work in progress: set by the HTTP services for each
 * request (the caller's `X-Request-Id` or a new one) and by the broker
 * transport for each message (its `x-request-id` header), so every log line,
 * command, event and outbox row caused by one API call carries the same id.
 */
export interface RequestContext {
  requestId: string;
}

/** HTTP request and response header, and RabbitMQ message header (lower case on both). */
export const REQUEST_ID_HEADER = 'x-request-id';

/** At most 128 characters without spaces, quotes or control characters. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

const storage = new AsyncLocalStorage<RequestContext>();

export function isValidRequestId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_REQUEST_ID.test(value);
}

/** The caller's id when it is valid, otherwise a new one (a UUID). */
export function acceptRequestId(incoming: unknown): string {
  const value = Array.isArray(incoming) ? incoming[0] : incoming;
  return isValidRequestId(value) ? value : randomUUID();
}

/** The current request id, if this code runs on behalf of one. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/**
 * Runs `fn` on behalf of `requestId`; without one (an invalid id counts as
 * none) outside any request, so work picked up from a message with no id
 * never inherits an unrelated one.
 */
export function runWithRequestId<T>(requestId: unknown, fn: () => T): T {
  return isValidRequestId(requestId) ? storage.run({ requestId }, fn) : storage.exit(fn);
}

/** The header that carries the current request id on a broker message (empty outside a request). */
export function requestIdHeaders(): Record<string, string> {
  const id = currentRequestId();
  return id ? { [REQUEST_ID_HEADER]: id } : {};
}
