/**
 * Test data for SMS: a Nixflex account with an agent and an imported Twilio
 * (sandbox) number, recipients that trigger the sandbox's rules, and views of
 * what the sandbox received.
 */
import { randomBytes } from 'node:crypto';
import { http, waitForResource } from '../harness/api';
import { Stack } from '../harness/stack';
import { TestAccount, createAccount } from './accounts';

export interface SmsSender {
  account: TestAccount;
  agent_id: string;
  from_number: string;
  twilio: { account_sid: string; auth_token: string };
}

export async function sandboxAdmin<T = any>(
  stack: Stack,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await http<T>(method, `${stack.sandboxUrl}/__admin${path}`, { body });
  if (res.status >= 300)
    throw new Error(`sandbox ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

let seq = Math.floor(Math.random() * 50_000);
/** A unique UK mobile number (+447 + 9 digits) ending in `last4` (the sandbox's recipient rules). */
export function ukMobile(last4 = '1234'): string {
  seq = (seq + 1) % 100_000;
  return `+447${String(seq).padStart(5, '0')}${last4}`;
}

/** A unique recipient; `rule` picks the sandbox outcome ('0003' undelivered, '1610' refused, ...). */
export function recipient(rule = '1234'): string {
  return ukMobile(rule);
}

/** An account (new, or the one given) with an agent and an imported number of a fresh Twilio account. */
export async function smsSender(stack: Stack, account?: TestAccount): Promise<SmsSender> {
  const acct = account ?? (await createAccount(stack));
  const twilio = await sandboxAdmin(stack, 'POST', '/accounts', {});
  const from = ukMobile(randomBytes(2).readUInt16BE(0).toString().slice(-4).padStart(4, '5'));
  await sandboxAdmin(stack, 'POST', `/accounts/${twilio.account_sid}/numbers`, { phone_number: from });
  const agent = await acct.api.post('/v1/agents', { name: 'SMS agent', system_prompt: 'You are helpful.' });
  if (agent.status !== 201) throw new Error(`agent: ${agent.status} ${JSON.stringify(agent.body)}`);
  const imported = await acct.api.post('/v1/phone-numbers', {
    phone_number: from,
    twilio_sid: twilio.account_sid,
    twilio_token: twilio.auth_token,
    agent_id: agent.body.id,
  });
  if (imported.status !== 201) throw new Error(`import: ${imported.status} ${JSON.stringify(imported.body)}`);
  return { account: acct, agent_id: agent.body.id, from_number: from, twilio };
}

export function smsBody(sender: SmsSender, to: string, message = `Hello ${randomBytes(4).toString('hex')}`) {
  return { agent_id: sender.agent_id, from_number: sender.from_number, to, message };
}

export async function send(
  sender: SmsSender,
  to: string,
  message?: string,
  headers?: Record<string, string>,
) {
  return sender.account.api.post('/v1/sms', smsBody(sender, to, message), headers);
}

/** Polls GET /v1/sms/:id until `done` holds for the body. */
export async function waitForSms(
  sender: SmsSender,
  id: string,
  done: (body: any) => boolean,
  timeoutMs = 20_000,
): Promise<any> {
  return waitForResource(sender.account.api, `/v1/sms/${id}`, `message ${id}`, done, timeoutMs);
}

export const FINAL = ['delivered', 'undelivered', 'failed', 'canceled'];

export interface SandboxMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  status: string;
  error_code: number | null;
  /** The `ValidityPeriod` the create asked for, seconds; null when none. */
  validity_period: number | null;
  callbacks: { status: string; http_status: number; attempt: number }[];
}

/** Messages the sandbox (Twilio) accepted, oldest first. */
export function sandboxMessages(stack: Stack, query: Record<string, string> = {}): Promise<SandboxMessage[]> {
  return sandboxAdmin(stack, 'GET', `/messages?${new URLSearchParams(query).toString()}`);
}

export function sandboxFaults(stack: Stack, faults: Record<string, unknown>): Promise<unknown> {
  return sandboxAdmin(stack, 'POST', '/faults', faults);
}

export async function clearFaults(stack: Stack): Promise<void> {
  await sandboxFaults(stack, { api: null, drop_after_create: null, callbacks: null });
}
