/** Test data for phone numbers: Twilio sandbox accounts and numbers, agents, imports. */
import { randomBytes } from 'node:crypto';
import type { ApiResponse } from '../harness/api';
import { http } from '../harness/api';
import type { Stack } from '../harness/stack';
import type { TestAccount } from './accounts';

export interface TwilioAccount {
  account_sid: string;
  auth_token: string;
}

export interface SandboxNumber {
  sid: string;
  phone_number: string;
  voice_url: string;
  voice_method: string;
  sms_url: string;
  sms_method: string;
  status_callback: string;
  status_callback_method: string;
  account_sid: string;
}

async function admin<T = any>(stack: Stack, method: string, path: string, body?: unknown): Promise<T> {
  const res = await http<T>(method, `${stack.sandboxUrl}/__admin${path}`, { body });
  if (res.status >= 300)
    throw new Error(`sandbox ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A Twilio account (or a subaccount of `parent`) in the sandbox. */
export function twilioAccount(stack: Stack, parent?: TwilioAccount): Promise<TwilioAccount> {
  return admin(stack, 'POST', '/accounts', parent ? { parent_account_sid: parent.account_sid } : {});
}

/** A number owned by a Twilio account, with optional pre-existing webhooks. */
export function twilioNumber(
  stack: Stack,
  account: TwilioAccount,
  phone: string,
  webhooks: Partial<Omit<SandboxNumber, 'sid' | 'phone_number' | 'account_sid'>> = {},
): Promise<SandboxNumber> {
  return admin(stack, 'POST', `/accounts/${account.account_sid}/numbers`, {
    phone_number: phone,
    ...webhooks,
  });
}

/** What the sandbox (Twilio) currently has for a number. */
export function sandboxNumber(stack: Stack, phone: string): Promise<SandboxNumber> {
  return admin(stack, 'GET', `/numbers/${encodeURIComponent(phone)}`);
}

export function sandboxFault(
  stack: Stack,
  api: { status: number; count: number; path_contains?: string } | null,
) {
  return admin(stack, 'POST', '/faults', { api });
}

export interface SandboxRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  status: number;
  account_sid: string | null;
}

/** Twilio REST requests the sandbox received whose path contains `pathContains`. */
export function sandboxRequests(stack: Stack, pathContains: string): Promise<SandboxRequest[]> {
  return admin(stack, 'GET', `/requests?path_contains=${encodeURIComponent(pathContains)}`);
}

let seq = 0;
/**
 * A fresh, valid UK mobile number: +4474 + 8 digits. All have the same
 * length, so none is a prefix or substring-match of another.
 */
export function ukNumber(): string {
  seq++;
  const tail = (parseInt(randomBytes(3).toString('hex'), 16) % 10000).toString().padStart(4, '0');
  return `+4474${String(seq % 10000).padStart(4, '0')}${tail}`;
}

export async function createAgent(account: TestAccount, body: Record<string, unknown> = {}): Promise<any> {
  const res = await account.api.post('/v1/agents', {
    name: 'Receptionist',
    system_prompt: 'Be a friendly receptionist.',
    ...body,
  });
  if (res.status !== 201) throw new Error(`agent create: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export interface ImportFixture {
  twilio: TwilioAccount;
  phone: string;
  agent: any;
  body: Record<string, unknown>;
}

/** A Twilio account with a number and an agent, ready to import (body not sent yet). */
export async function importFixture(
  stack: Stack,
  account: TestAccount,
  opts: { twilio?: TwilioAccount; agent?: any; phone?: string; extra?: Record<string, unknown> } = {},
): Promise<ImportFixture> {
  const twilio = opts.twilio ?? (await twilioAccount(stack));
  const phone = opts.phone ?? ukNumber();
  await twilioNumber(stack, twilio, phone);
  const agent = opts.agent ?? (await createAgent(account));
  return {
    twilio,
    phone,
    agent,
    body: {
      phone_number: phone,
      twilio_sid: twilio.account_sid,
      twilio_token: twilio.auth_token,
      agent_id: agent.id,
      ...opts.extra,
    },
  };
}

/** Imports a fresh number; fails the test unless it is 201. */
export async function importedNumber(
  stack: Stack,
  account: TestAccount,
  opts: Parameters<typeof importFixture>[2] = {},
): Promise<ImportFixture & { res: ApiResponse }> {
  const f = await importFixture(stack, account, opts);
  const res = await account.api.post('/v1/phone-numbers', f.body);
  if (res.status !== 201) throw new Error(`import: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...f, res };
}

/** `+447...` for paths, raw or percent-encoded. */
export const rawPath = (phone: string) => `/v1/phone-numbers/${phone}`;
export const encodedPath = (phone: string) => `/v1/phone-numbers/${encodeURIComponent(phone)}`;
