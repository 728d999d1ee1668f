import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

/** Shared helpers for the sandbox e2e tests (not a test file itself). */

const SPEC_PATH = path.resolve(__dirname, '../../tools/twilio-sandbox/openapi/twilio_api_v2010.json');

const RFC2822 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

type SchemaName = 'account' | 'number' | 'message' | 'numberList' | 'messageList' | 'call' | 'callList';

let validators: Record<SchemaName, ValidateFunction> | undefined;

/**
 * Validators built from Twilio's OpenAPI document. The spec uses OpenAPI's
 * `nullable` (Ajv understands it) and `x-` keys (ignored with strict off).
 * Formats: Twilio's own (`date-time-rfc-2822`, `phone-number`, ...) are
 * defined here; `uri` accepts relative references and the empty string,
 * because that is what Twilio actually returns (`uri`, cleared `sms_url`).
 */
export function twilioValidators(): Record<SchemaName, ValidateFunction> {
  if (validators) return validators;
  const spec = JSON.parse(fs.readFileSync(SPEC_PATH, 'utf8'));
  const listSchema = (p: string) => spec.paths[p].get.responses['200'].content['application/json'].schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('uri', {
    type: 'string',
    validate: (s: string) => {
      if (s === '') return true;
      try {
        new URL(s, 'https://api.twilio.com');
        return true;
      } catch {
        return false;
      }
    },
  });
  ajv.addFormat('date-time-rfc-2822', RFC2822);
  ajv.addFormat('phone-number', /^\+[1-9]\d{6,14}$/);
  ajv.addFormat('http-method', /^(GET|POST)$/);
  ajv.addFormat('uri-map', true);
  ajv.addFormat('phone-number-capabilities', true);
  ajv.addFormat('currency', /^[A-Za-z]{3}$/);
  ajv.addSchema({
    $id: 'twilio',
    components: spec.components,
    lists: {
      numbers: listSchema('/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json'),
      messages: listSchema('/2010-04-01/Accounts/{AccountSid}/Messages.json'),
      calls: listSchema('/2010-04-01/Accounts/{AccountSid}/Calls.json'),
    },
  });
  const get = (ref: string) => {
    const v = ajv.getSchema(`twilio#/${ref}`);
    if (!v) throw new Error(`schema ${ref} not found`);
    return v;
  };
  validators = {
    account: get('components/schemas/api.v2010.account'),
    number: get('components/schemas/api.v2010.account.incoming_phone_number'),
    message: get('components/schemas/api.v2010.account.message'),
    numberList: get('lists/numbers'),
    messageList: get('lists/messages'),
    call: get('components/schemas/api.v2010.account.call'),
    callList: get('lists/calls'),
  };
  return validators;
}

/** Validates and also checks that the schema's properties cover every returned field. */
export function expectSchema(name: SchemaName, value: unknown): void {
  const v = twilioValidators()[name];
  const valid = v(value);
  if (!valid)
    throw new Error(`${name} does not match the Twilio schema: ${JSON.stringify(v.errors, null, 2)}`);
}

export async function adminCall<T = any>(
  base: string,
  method: string,
  p: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(base + p, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${p} -> ${res.status} ${JSON.stringify(json)}`);
  return json as T;
}

export interface TestAccount {
  sid: string;
  token: string;
}

export async function createAccount(base: string, extra: Record<string, unknown> = {}): Promise<TestAccount> {
  const a = await adminCall(base, 'POST', '/__admin/accounts', extra);
  return { sid: a.account_sid, token: a.auth_token };
}

export async function addNumber(
  base: string,
  accountSid: string,
  body: Record<string, unknown>,
): Promise<any> {
  return adminCall(base, 'POST', `/__admin/accounts/${accountSid}/numbers`, body);
}

/** Raw REST call with basic auth, form-encoded body. */
export async function twilioRaw(
  base: string,
  acct: TestAccount,
  method: string,
  p: string,
  form?: Record<string, string>,
): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(base + p, {
    method,
    headers: {
      authorization: 'Basic ' + Buffer.from(`${acct.sid}:${acct.token}`).toString('base64'),
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

export interface ReceivedRequest {
  method: string;
  path: string;
  /** The full URL as the sandbox was given it (receiver base + path). */
  url: string;
  headers: http.IncomingHttpHeaders;
  params: Record<string, string>;
  at: number;
}

export interface Receiver {
  url: string;
  received: ReceivedRequest[];
  /** Status to answer for a path (default 200). A function can vary it per call. */
  respond: (req: ReceivedRequest) => number;
  waitFor(pred: (all: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<ReceivedRequest[]>;
  forPath(p: string): ReceivedRequest[];
  close(): Promise<void>;
}

/** A local webhook receiver standing in for the product's webhook endpoints. */
export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  let base = '';
  const receiver: Receiver = {
    url: '',
    received,
    respond: () => 200,
    async waitFor(pred, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(received)) {
        if (Date.now() > deadline) {
          throw new Error(
            `timed out waiting; received: ${JSON.stringify(received.map((r) => [r.path, r.params]))}`,
          );
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      return received;
    },
    forPath: (p) => received.filter((r) => r.path === p),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', base);
      const params =
        req.method === 'GET'
          ? Object.fromEntries(u.searchParams)
          : Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const entry: ReceivedRequest = {
        method: req.method ?? '',
        path: u.pathname,
        url: base + (req.url ?? '/'),
        headers: req.headers,
        params,
        at: Date.now(),
      };
      received.push(entry);
      const status = receiver.respond(entry);
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.url = base;
  return receiver;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let counter = Math.floor(Math.random() * 900_000);
/** A fresh E.164 number ending in the given four digits (unique per call within a run). */
export function phone(last4 = '0000'): string {
  counter = (counter + 1) % 1_000_000;
  return `+1${String(counter).padStart(6, '0')}${last4}`;
}
