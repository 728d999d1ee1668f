import type { CallbackEngine } from './callbacks';
import { DEFAULT_CALLEE_SCRIPT, parseCallScript, ScriptError } from './call-script';
import { callReport, type CallEngine, type Call } from './calls';
import { numberJson } from './fixtures';
import { ACCOUNT_SID_RE, E164_RE, hex32, newSid } from './ids';
import { deliverInbound } from './inbound';
import { isHttpUrl } from './rest';
import type {
  Account,
  CallbackFault,
  CallsCreateFault,
  Faults,
  Message,
  PhoneNumber,
  SandboxState,
} from './state';
import type { WebhookTransport } from './webhook-transport';

/** JSON admin API under /__admin (no auth). See README.md. */

export class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface AdminResponse {
  status: number;
  body: unknown;
}

type Json = Record<string, unknown>;

const ok = (body: unknown, status = 200): AdminResponse => ({ status, body });

function str(body: Json, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new AdminError(400, `${key} must be a string`);
  return v;
}

function positiveInt(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new AdminError(400, `${key} must be a positive integer`);
  }
  return value;
}

/** A phone number from a path or query: `+` may arrive decoded as a space. */
const normalizePhone = (v: string) => v.trim().replace(/^ /, '+');

function booleanFlags<K extends string>(
  raw: unknown,
  name: string,
  keys: readonly K[],
): Partial<Record<K, boolean>> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new AdminError(400, `${name} must be an object`);
  }
  const out: Partial<Record<K, boolean>> = {};
  for (const k of keys) {
    const v = (raw as Json)[k];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw new AdminError(400, `${name}.${k} must be a boolean`);
    out[k] = v;
  }
  return out;
}

function parseScript(raw: unknown) {
  try {
    return parseCallScript(raw);
  } catch (err) {
    if (err instanceof ScriptError) throw new AdminError(400, err.message);
    throw err;
  }
}

/** `(808) 925-5327` for NANP numbers, the E.164 number otherwise (Twilio's default friendly name). */
function defaultFriendlyName(e164: string): string {
  const m = e164.match(/^\+1(\d{3})(\d{3})(\d{4})$/);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : e164;
}

function accountView(a: Account) {
  return {
    account_sid: a.sid,
    auth_token: a.authToken,
    friendly_name: a.friendlyName,
    parent_account_sid: a.parentSid,
    status: a.status,
    date_created: a.dateCreated.toISOString(),
  };
}

export function messageView(m: Message) {
  return {
    sid: m.sid,
    account_sid: m.accountSid,
    direction: m.direction,
    to: m.to,
    from: m.from,
    body: m.body,
    status: m.status,
    error_code: m.errorCode,
    error_message: m.errorMessage,
    status_callback: m.statusCallback,
    validity_period: m.validityPeriod,
    num_segments: m.numSegments,
    date_created: m.dateCreated.toISOString(),
    /** When the create reached the sandbox, epoch ms (pacing is measured on it). */
    received_at_ms: m.dateCreated.getTime(),
    date_updated: m.dateUpdated.toISOString(),
    callbacks: m.callbacks.slice(),
  };
}

const NUMBER_ADMIN_FIELDS: [string, keyof PhoneNumber, 'url' | 'method' | 'text'][] = [
  ['friendly_name', 'friendlyName', 'text'],
  ['voice_url', 'voiceUrl', 'url'],
  ['voice_method', 'voiceMethod', 'method'],
  ['voice_fallback_url', 'voiceFallbackUrl', 'url'],
  ['voice_fallback_method', 'voiceFallbackMethod', 'method'],
  ['sms_url', 'smsUrl', 'url'],
  ['sms_method', 'smsMethod', 'method'],
  ['sms_fallback_url', 'smsFallbackUrl', 'url'],
  ['sms_fallback_method', 'smsFallbackMethod', 'method'],
  ['status_callback', 'statusCallback', 'url'],
  ['status_callback_method', 'statusCallbackMethod', 'method'],
];

export class AdminApi {
  constructor(
    private readonly state: SandboxState,
    private readonly callbacks: CallbackEngine,
    private readonly transport: WebhookTransport,
    private readonly calls: CallEngine,
  ) {}

  async handle(method: string, pathname: string, query: URLSearchParams, body: Json): Promise<AdminResponse> {
    const parts = pathname
      .replace(/^\/__admin\/?/, '')
      .split('/')
      .filter(Boolean)
      .map((p) => decodeURIComponent(p));
    const route = `${method} ${parts.map((p, i) => (i % 2 === 1 && parts[0] !== 'callbacks' ? ':id' : p)).join('/')}`;
    switch (route) {
      case 'GET health':
        return ok({ ok: true });
      case 'POST reset':
        this.calls.abortAll();
        this.state.reset();
        return ok({ ok: true });
      case 'POST accounts':
        return this.createAccount(body);
      case 'GET accounts':
        return ok([...this.state.accounts.values()].map(accountView));
      case 'GET accounts/:id':
        return ok(accountView(this.account(parts[1])));
      case 'POST accounts/:id':
        return this.updateAccount(this.account(parts[1]), body);
      case 'POST accounts/:id/numbers':
        return this.addNumber(this.account(parts[1]), body);
      case 'GET accounts/:id/numbers':
        return ok(this.state.numbersOf(this.account(parts[1]).sid).map(numberJson));
      case 'GET numbers':
        return ok([...this.state.numbersBySid.values()].map((n) => this.numberView(n)));
      case 'GET numbers/:id':
        return ok(this.numberView(this.number(parts[1])));
      case 'DELETE numbers/:id':
        this.state.removeNumber(this.number(parts[1]));
        return ok({ ok: true });
      case 'POST inbound':
        return this.inbound(body);
      case 'GET messages':
        return ok(this.messages(query));
      case 'GET messages/:id': {
        const msg = this.state.messages.get(parts[1]);
        if (!msg) throw new AdminError(404, `no message ${parts[1]}`);
        return ok(messageView(msg));
      }
      case 'POST calls':
        return this.placeCall(body);
      case 'GET calls':
        return ok(this.listCalls(query));
      case 'GET calls/:id':
        return ok(callReport(this.call(parts[1])));
      case 'PUT callee-scripts/:id':
        return this.setCalleeScript(parts[1], body);
      case 'GET callee-scripts/:id': {
        const phone = normalizePhone(parts[1]);
        const script = this.state.calleeScripts.get(phone);
        return ok({ phone_number: phone, script: script ?? DEFAULT_CALLEE_SCRIPT, default: !script });
      }
      case 'DELETE callee-scripts/:id':
        this.state.calleeScripts.delete(normalizePhone(parts[1]));
        return ok({ ok: true });
      case 'GET requests':
        return ok(this.requests(query));
      case 'GET faults':
        return ok(this.faultsView());
      case 'POST faults':
        return this.setFaults(body);
      case 'POST callbacks/release':
        return ok({ released: this.callbacks.release() });
      default:
        throw new AdminError(404, `unknown admin route: ${method} ${pathname}`);
    }
  }

  private account(sid: string): Account {
    const account = this.state.accounts.get(sid);
    if (!account) throw new AdminError(404, `no account ${sid}`);
    return account;
  }

  private number(phone: string): PhoneNumber {
    const normalized = phone.trim().replace(/^ /, '+');
    const number = this.state.numbersByPhone.get(normalized) ?? this.state.numbersBySid.get(normalized);
    if (!number) throw new AdminError(404, `no number ${phone}`);
    return number;
  }

  private numberView(n: PhoneNumber) {
    const a = this.state.accounts.get(n.accountSid);
    return {
      ...numberJson(n),
      account: a
        ? { account_sid: a.sid, friendly_name: a.friendlyName, parent_account_sid: a.parentSid }
        : null,
    };
  }

  private createAccount(body: Json): AdminResponse {
    const sid = str(body, 'account_sid');
    const token = str(body, 'auth_token');
    const friendlyName = str(body, 'friendly_name');
    const parentSid = str(body, 'parent_account_sid') ?? null;
    if (sid !== undefined && !ACCOUNT_SID_RE.test(sid))
      throw new AdminError(400, 'account_sid must be AC + 32 hex');
    if (token !== undefined && token.length === 0) throw new AdminError(400, 'auth_token must not be empty');
    if (parentSid !== null) this.account(parentSid);
    const existing = sid ? this.state.accounts.get(sid) : undefined;
    if (existing) {
      // Idempotent upsert so fixtures can be re-applied to a running sandbox.
      if (token !== undefined) existing.authToken = token;
      if (friendlyName !== undefined) existing.friendlyName = friendlyName;
      existing.dateUpdated = new Date();
      return ok(accountView(existing));
    }
    const now = new Date();
    const account: Account = {
      sid: sid ?? newSid('AC'),
      authToken: token ?? hex32(),
      friendlyName: friendlyName ?? (parentSid ? 'Subaccount' : 'Sandbox account'),
      parentSid,
      status: 'active',
      dateCreated: now,
      dateUpdated: now,
    };
    this.state.accounts.set(account.sid, account);
    return ok(accountView(account), 201);
  }

  private updateAccount(account: Account, body: Json): AdminResponse {
    const token = str(body, 'auth_token');
    const friendlyName = str(body, 'friendly_name');
    const status = str(body, 'status');
    if (token !== undefined) {
      if (!token) throw new AdminError(400, 'auth_token must not be empty');
      account.authToken = token;
    }
    if (friendlyName !== undefined) account.friendlyName = friendlyName;
    if (status !== undefined) {
      if (status !== 'active' && status !== 'suspended' && status !== 'closed') {
        throw new AdminError(400, 'status must be active, suspended or closed');
      }
      account.status = status;
    }
    account.dateUpdated = new Date();
    return ok(accountView(account));
  }

  private addNumber(account: Account, body: Json): AdminResponse {
    const phone = str(body, 'phone_number');
    if (!phone || !E164_RE.test(phone))
      throw new AdminError(400, 'phone_number must be E.164, e.g. +15005550006');
    const existing = this.state.numbersByPhone.get(phone);
    if (existing && existing.accountSid !== account.sid) {
      throw new AdminError(409, `${phone} already belongs to account ${existing.accountSid}`);
    }
    const now = new Date();
    const number: PhoneNumber = existing ?? {
      sid: newSid('PN'),
      accountSid: account.sid,
      phoneNumber: phone,
      friendlyName: defaultFriendlyName(phone),
      voiceUrl: '',
      voiceMethod: 'POST',
      voiceFallbackUrl: '',
      voiceFallbackMethod: 'POST',
      smsUrl: '',
      smsMethod: 'POST',
      smsFallbackUrl: '',
      smsFallbackMethod: 'POST',
      statusCallback: '',
      statusCallbackMethod: 'POST',
      capabilities: { voice: true, sms: true, mms: true, fax: false },
      dateCreated: now,
      dateUpdated: now,
    };
    const customSid = str(body, 'sid');
    if (customSid !== undefined && !existing) {
      if (!/^PN[0-9a-fA-F]{32}$/.test(customSid)) throw new AdminError(400, 'sid must be PN + 32 hex');
      if (this.state.numbersBySid.has(customSid)) throw new AdminError(409, `${customSid} already exists`);
      number.sid = customSid;
    }
    for (const [key, field, kind] of NUMBER_ADMIN_FIELDS) {
      const value = str(body, key);
      if (value === undefined) continue;
      if (kind === 'url' && value !== '' && !isHttpUrl(value))
        throw new AdminError(400, `${key} must be an http(s) URL`);
      if (kind === 'method') {
        const upper = value.toUpperCase();
        if (upper !== 'GET' && upper !== 'POST') throw new AdminError(400, `${key} must be GET or POST`);
        (number as unknown as Record<string, string>)[field] = upper;
      } else {
        (number as unknown as Record<string, string>)[field] = value;
      }
    }
    const caps = body.capabilities;
    if (caps && typeof caps === 'object') {
      for (const k of ['voice', 'sms', 'mms', 'fax'] as const) {
        const v = (caps as Json)[k];
        if (typeof v === 'boolean') number.capabilities[k] = v;
      }
    }
    number.dateUpdated = now;
    this.state.addNumber(number);
    return ok(numberJson(number), existing ? 200 : 201);
  }

  private async inbound(body: Json): Promise<AdminResponse> {
    const from = str(body, 'from');
    const to = str(body, 'to');
    const text = str(body, 'body') ?? '';
    if (!from || !to) throw new AdminError(400, 'from and to are required');
    const number = this.number(to);
    const account = this.account(number.accountSid);
    const signature = str(body, 'signature');
    if (signature !== undefined && !['valid', 'forged', 'missing'].includes(signature)) {
      throw new AdminError(400, 'signature must be valid, forged or missing');
    }
    const messageSid = str(body, 'message_sid');
    if (messageSid !== undefined && !/^(SM|MM)[0-9a-fA-F]{32}$/.test(messageSid)) {
      throw new AdminError(400, 'message_sid must be SM + 32 hex');
    }
    const result = await deliverInbound(this.state, this.transport, account, number, {
      from,
      body: text,
      messageSid,
      duplicate: body.duplicate === true,
      signature: signature as 'valid' | 'forged' | 'missing' | undefined,
    });
    return ok({ ...result, account_sid: account.sid });
  }

  private call(sid: string): Call {
    const call = this.state.calls.get(sid);
    if (!call) throw new AdminError(404, `no call ${sid}`);
    return call;
  }

  /**
   * An inbound call from any phone to a sandbox number, run like Twilio runs
   * it. `wait: true` answers with the report once the call has ended.
   */
  private async placeCall(body: Json): Promise<AdminResponse> {
    const from = str(body, 'from');
    const to = str(body, 'to');
    if (!from || !E164_RE.test(from)) throw new AdminError(400, 'from must be an E.164 number');
    if (!to) throw new AdminError(400, 'to is required');
    const number = this.state.numbersByPhone.get(normalizePhone(to));
    if (!number) throw new AdminError(404, `${to} is not a number held in the sandbox`);
    if (!number.voiceUrl) throw new AdminError(404, `${to} has no voice_url`);
    if (body.wait !== undefined && typeof body.wait !== 'boolean') {
      throw new AdminError(400, 'wait must be a boolean');
    }
    const script = parseScript(body.script);
    const callbackFault =
      body.callbacks === undefined || body.callbacks === null
        ? this.state.faults.call_callbacks
        : booleanFlags(body.callbacks, 'callbacks', ['duplicate', 'reverse'] as const);
    const call = this.calls.create({
      accountSid: number.accountSid,
      direction: 'inbound',
      from,
      to: number.phoneNumber,
      phoneNumberSid: number.sid,
      source: { url: number.voiceUrl, method: number.voiceMethod },
      statusCallback: number.statusCallback || null,
      statusCallbackMethod: number.statusCallbackMethod,
      statusCallbackEvents: new Set(['completed']),
      script,
      callbackFault,
    });
    this.calls.startInbound(call);
    if (body.wait === true) await call.done;
    return ok(callReport(call), 201);
  }

  private listCalls(query: URLSearchParams) {
    const to = query.get('to');
    const from = query.get('from');
    const accountSid = query.get('account_sid');
    const direction = query.get('direction');
    const status = query.get('status');
    const out = [];
    for (const c of this.state.calls.values()) {
      if (to && c.to !== normalizePhone(to)) continue;
      if (from && c.from !== normalizePhone(from)) continue;
      if (accountSid && c.accountSid !== accountSid) continue;
      if (direction && c.direction !== direction) continue;
      if (status && c.status !== status) continue;
      out.push(c);
    }
    return out.reverse().map(callReport);
  }

  private setCalleeScript(phone: string, body: Json): AdminResponse {
    const normalized = normalizePhone(phone);
    if (!E164_RE.test(normalized)) throw new AdminError(400, 'the path must end in an E.164 number');
    const script = parseScript(body);
    this.state.calleeScripts.set(normalized, script);
    return ok({ phone_number: normalized, script });
  }

  private messages(query: URLSearchParams) {
    const accountSid = query.get('account_sid');
    const to = query.get('to')?.trim().replace(/^ /, '+');
    const from = query.get('from')?.trim().replace(/^ /, '+');
    const body = query.get('body');
    const status = query.get('status');
    const direction = query.get('direction') ?? 'outbound-api';
    const source = accountSid ? this.state.messagesOf(accountSid) : [...this.state.messages.values()];
    return source
      .filter(
        (m) =>
          (direction === 'all' || m.direction === direction) &&
          (!to || m.to === to) &&
          (!from || m.from === from) &&
          (body === null || m.body === body) &&
          (!status || m.status === status),
      )
      .map(messageView);
  }

  private requests(query: URLSearchParams) {
    const contains = query.get('path_contains');
    const method = query.get('method')?.toUpperCase();
    const limit = Number(query.get('limit') ?? '0');
    let entries = this.state
      .requests()
      .filter((e) => (!contains || e.path.includes(contains)) && (!method || e.method === method));
    if (Number.isInteger(limit) && limit > 0) entries = entries.slice(-limit);
    return entries;
  }

  private faultsView() {
    return { ...this.state.faults, held_callbacks: this.state.held.length };
  }

  private setFaults(body: Json): AdminResponse {
    const next: Faults = { ...this.state.faults };
    if ('api' in body) {
      const api = body.api as Json | null;
      if (api === null) next.api = null;
      else {
        if (typeof api !== 'object') throw new AdminError(400, 'api must be an object or null');
        const status = api.status;
        if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
          throw new AdminError(400, 'api.status must be an HTTP error status (429, 500, 503, ...)');
        }
        const pathContains = str(api, 'path_contains');
        next.api = {
          status,
          count: positiveInt(api.count, 'api.count'),
          ...(pathContains ? { path_contains: pathContains } : {}),
        };
      }
    }
    if ('messages_create' in body) {
      const mc = body.messages_create as Json | null;
      if (mc === null) next.messages_create = null;
      else {
        if (typeof mc !== 'object') throw new AdminError(400, 'messages_create must be an object or null');
        if (mc.error !== 429 && mc.error !== 21611) {
          throw new AdminError(400, 'messages_create.error must be 429 or 21611');
        }
        const from = str(mc, 'from');
        next.messages_create = {
          error: mc.error,
          count: positiveInt(mc.count, 'messages_create.count'),
          ...(from ? { from } : {}),
        };
      }
    }
    if ('drop_after_create' in body) {
      const drop = body.drop_after_create as Json | null;
      if (drop === null) next.drop_after_create = null;
      else {
        if (typeof drop !== 'object')
          throw new AdminError(400, 'drop_after_create must be an object or null');
        next.drop_after_create = { count: positiveInt(drop.count, 'drop_after_create.count') };
      }
    }
    if ('callbacks' in body) {
      const cb = body.callbacks as Json | null;
      if (cb === null) next.callbacks = null;
      else {
        if (typeof cb !== 'object') throw new AdminError(400, 'callbacks must be an object or null');
        const fault: CallbackFault = {};
        if (cb.delay_ms !== undefined) {
          if (typeof cb.delay_ms !== 'number' || cb.delay_ms < 0) {
            throw new AdminError(400, 'callbacks.delay_ms must be a number >= 0');
          }
          fault.delay_ms = cb.delay_ms;
        }
        for (const k of ['duplicate', 'shuffle', 'hold'] as const) {
          if (cb[k] !== undefined) {
            if (typeof cb[k] !== 'boolean') throw new AdminError(400, `callbacks.${k} must be a boolean`);
            fault[k] = cb[k];
          }
        }
        next.callbacks = fault;
      }
    }
    if ('calls_create' in body) next.calls_create = this.callsCreateFault(body.calls_create);
    if ('call_callbacks' in body) {
      const cb = body.call_callbacks;
      next.call_callbacks =
        cb === null ? null : booleanFlags(cb, 'call_callbacks', ['duplicate', 'reverse'] as const);
    }
    this.state.faults = next;
    return ok(this.faultsView());
  }

  private callsCreateFault(raw: unknown): CallsCreateFault | null {
    if (raw === null) return null;
    if (typeof raw !== 'object' || Array.isArray(raw))
      throw new AdminError(400, 'calls_create must be an object or null');
    const f = raw as Json;
    const mode = f.mode;
    if (mode !== 'error_after_create' && mode !== 'timeout_after_create' && mode !== 'error') {
      throw new AdminError(
        400,
        'calls_create.mode must be error_after_create, timeout_after_create or error',
      );
    }
    const status = f.status ?? 500;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 500 || status > 599) {
      throw new AdminError(400, 'calls_create.status must be a 5xx status');
    }
    return { mode, status, count: f.count === undefined ? 1 : positiveInt(f.count, 'calls_create.count') };
  }
}
