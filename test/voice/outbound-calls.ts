/**
 * Test data for outbound calls: callers (an account with an agent and an
 * imported sandbox number), callees whose last four digits pick the
 * sandbox's outcome, and views of what the sandbox (Twilio) placed.
 */
import { SmsSender, sandboxAdmin, smsSender, ukMobile } from '../factories/sms';
import type { TestAccount } from '../factories/accounts';
import { waitForResource } from '../harness/api';
import { Stack } from '../harness/stack';

export type Caller = SmsSender;

/** An account (new, or the one given) with an agent and an imported number of a fresh Twilio account. */
export function caller(stack: Stack, account?: TestAccount): Promise<Caller> {
  return smsSender(stack, account);
}

/** A unique callee; `rule` picks the sandbox outcome ('1211' refused, '0486' busy, ...; default answers). */
export function callee(rule = '5000'): string {
  return ukMobile(rule);
}

export function callBody(c: Caller, to: string, extra: Record<string, unknown> = {}) {
  return { agent_id: c.agent_id, from_number: c.from_number, to, ...extra };
}

export function placeCall(
  c: Caller,
  to: string,
  extra: Record<string, unknown> = {},
  headers?: Record<string, string>,
) {
  return c.account.api.post('/v1/calls', callBody(c, to, extra), headers);
}

/** Polls GET /v1/calls/:id until `done` holds for the body. */
export async function waitForCall(
  c: Caller,
  id: string,
  done: (body: any) => boolean,
  timeoutMs = 20_000,
): Promise<any> {
  return waitForResource(c.account.api, `/v1/calls/${id}`, `call ${id}`, done, timeoutMs);
}

export interface SandboxCall {
  call_sid: string;
  account_sid: string;
  direction: string;
  from: string;
  to: string;
  status: string;
  webhook: { url: string } | null;
}

/** Calls the sandbox (Twilio) placed to `to`, newest first. */
export function sandboxCalls(stack: Stack, to: string): Promise<SandboxCall[]> {
  return sandboxAdmin(stack, 'GET', `/calls?to=${encodeURIComponent(to)}`);
}

export interface SandboxRequest {
  method: string;
  path: string;
  status: number;
  params: Record<string, string>;
}

/** REST requests on Calls.json the sandbox received (creates and lists), oldest first. */
export function callRequests(stack: Stack): Promise<SandboxRequest[]> {
  return sandboxAdmin(stack, 'GET', `/requests?path_contains=${encodeURIComponent('/Calls.json')}`);
}

export function callFaults(stack: Stack, faults: Record<string, unknown>): Promise<unknown> {
  return sandboxAdmin(stack, 'POST', '/faults', faults);
}

export async function clearCallFaults(stack: Stack): Promise<void> {
  await callFaults(stack, { api: null, calls_create: null, call_callbacks: null });
}

/** Stack settings that make the dialler's retries quick. */
export const FAST_DIAL_ENV = {
  CALLS_RETRY_BASE_MS: '100',
  CALLS_RETRY_MAX_MS: '500',
  CALLS_DIAL_POLL_MS: '100',
};
