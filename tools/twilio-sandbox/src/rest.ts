import type { IncomingHttpHeaders } from 'node:http';
import type { CallbackEngine } from './callbacks';
import { DEFAULT_CALLEE_SCRIPT } from './call-script';
import { callRule } from './call-rules';
import type { Call, CallEngine, StatusEvent } from './calls';
import { TwilioApiError, authError, badRequest, injectedError, methodNotAllowed, notFound } from './errors';
import { API_PREFIX, accountJson, callJson, listPage, messageJson, numberJson } from './fixtures';
import { E164_RE, newSid } from './ids';
import { recipientRule } from './recipient-rules';
import { countSegments } from './segments';
import type { Account, Message, PhoneNumber, SandboxState } from './state';

/** Twilio REST API 2010-04-01 subset: Accounts, IncomingPhoneNumbers, Messages, Calls. */

export interface RestRequest {
  method: string;
  pathname: string;
  /** pathname + search, as received */
  fullPath: string;
  query: Record<string, string>;
  form: Record<string, string>;
  /** The whole form, for parameters the SDK repeats (StatusCallbackEvent). */
  formAll?: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export type RestResult =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'empty'; status: number }
  | { kind: 'drop' };

const ACCOUNT_RE = /^\/2010-04-01\/Accounts\/([^/]+)\.json$/;
const NUMBERS_RE = /^\/2010-04-01\/Accounts\/([^/]+)\/IncomingPhoneNumbers\.json$/;
const NUMBER_RE = /^\/2010-04-01\/Accounts\/([^/]+)\/IncomingPhoneNumbers\/([^/]+)\.json$/;
const MESSAGES_RE = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const MESSAGE_RE = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/;
const CALLS_RE = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/;
const CALL_RE = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\.json$/;
const STATUS_EVENTS: ReadonlySet<string> = new Set(['initiated', 'ringing', 'answered', 'completed']);
const CALL_STATUSES: ReadonlySet<string> = new Set([
  'queued',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
]);

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;
const MAX_BODY_CHARS = 1600;

/** Number update parameters and the fields they set. */
const NUMBER_FIELDS: Record<string, { field: keyof PhoneNumber; kind: 'url' | 'method' | 'text' }> = {
  FriendlyName: { field: 'friendlyName', kind: 'text' },
  VoiceUrl: { field: 'voiceUrl', kind: 'url' },
  VoiceMethod: { field: 'voiceMethod', kind: 'method' },
  VoiceFallbackUrl: { field: 'voiceFallbackUrl', kind: 'url' },
  VoiceFallbackMethod: { field: 'voiceFallbackMethod', kind: 'method' },
  SmsUrl: { field: 'smsUrl', kind: 'url' },
  SmsMethod: { field: 'smsMethod', kind: 'method' },
  SmsFallbackUrl: { field: 'smsFallbackUrl', kind: 'url' },
  SmsFallbackMethod: { field: 'smsFallbackMethod', kind: 'method' },
  StatusCallback: { field: 'statusCallback', kind: 'url' },
  StatusCallbackMethod: { field: 'statusCallbackMethod', kind: 'method' },
};

export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** `+` in a query string decodes to a space; phone numbers never contain one. */
const phoneParam = (v: string | undefined) => (v === undefined ? undefined : v.trim().replace(/^ /, '+'));

/**
 * Twilio's PhoneNumber filter matches partial numbers: the filter's digits
 * anywhere in the number's digits, `*` standing for any one digit.
 */
export function phoneNumberMatcher(filter: string): (phoneNumber: string) => boolean {
  const pattern = filter.replace(/[^\d*]/g, '');
  if (pattern === '') return () => true;
  const re = new RegExp(pattern.replace(/\*/g, '\\d'));
  return (phoneNumber) => re.test(phoneNumber.replace(/\D/g, ''));
}

interface DateFilter {
  test(d: Date | null): boolean;
}

const DAY_MS = 86_400_000;

function dateFilter(name: string, value: string, op: '=' | '<' | '>'): DateFilter {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const t = Date.parse(dateOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(t)) throw badRequest(20001, `Invalid ${name}: ${value}`);
  // Compare at one-second resolution: the SDK sends seconds.
  const sec = (d: Date) => Math.floor(d.getTime() / 1000) * 1000;
  if (dateOnly) {
    if (op === '=') return { test: (d) => !!d && d.getTime() >= t && d.getTime() < t + DAY_MS };
    if (op === '<') return { test: (d) => !!d && d.getTime() < t + DAY_MS };
    return { test: (d) => !!d && d.getTime() >= t };
  }
  if (op === '=') return { test: (d) => !!d && sec(d) === t };
  if (op === '<') return { test: (d) => !!d && sec(d) <= t };
  return { test: (d) => !!d && sec(d) >= t };
}

function paging(query: Record<string, string>): { page: number; pageSize: number } {
  const pageSize = query.PageSize === undefined ? DEFAULT_PAGE_SIZE : Number(query.PageSize);
  const page = query.Page === undefined ? 0 : Number(query.Page);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw badRequest(20001, `PageSize must be an integer between 1 and ${MAX_PAGE_SIZE}`);
  }
  if (!Number.isInteger(page) || page < 0) throw badRequest(20001, 'Page must be a non-negative integer');
  return { page, pageSize };
}

export class RestApi {
  constructor(
    private readonly state: SandboxState,
    private readonly callbacks: CallbackEngine,
    private readonly calls: CallEngine,
  ) {}

  /** Returns the authenticated account (for the request log) and the result. */
  handle(req: RestRequest): { accountSid: string | null; result: RestResult } {
    let accountSid: string | null = null;
    try {
      this.maybeInjectFault(req.fullPath);
      const account = this.authenticate(req.headers.authorization);
      accountSid = account.sid;
      return { accountSid, result: this.route(req, account) };
    } catch (err) {
      if (err instanceof TwilioApiError) {
        return {
          accountSid,
          result: { kind: 'json', status: err.status, body: err.toJSON(), headers: err.headers },
        };
      }
      throw err;
    }
  }

  private maybeInjectFault(fullPath: string): void {
    const fault = this.state.faults.api;
    if (!fault || fault.count <= 0) return;
    if (fault.path_contains && !fullPath.includes(fault.path_contains)) return;
    fault.count--;
    if (fault.count <= 0) this.state.faults.api = null;
    throw injectedError(fault.status);
  }

  /** POST /__admin/faults `messages_create`: Twilio's answers to a sender going too fast. */
  private maybeRefuseCreate(from: string): void {
    const fault = this.state.faults.messages_create;
    if (!fault || fault.count <= 0 || (fault.from && fault.from !== from)) return;
    fault.count--;
    if (fault.count <= 0) this.state.faults.messages_create = null;
    if (fault.error === 429) throw injectedError(429);
    throw badRequest(21611, `This 'From' number ${from} has exceeded the maximum number of queued messages`);
  }

  private authenticate(header: string | undefined): Account {
    if (!header || !/^basic /i.test(header)) throw authError();
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw authError();
    const account = this.state.accounts.get(decoded.slice(0, colon));
    if (!account || account.authToken !== decoded.slice(colon + 1) || account.status !== 'active') {
      throw authError();
    }
    return account;
  }

  /** The path's account must be the authenticated one or one of its subaccounts. */
  private pathAccount(sid: string, auth: Account): Account {
    if (sid === auth.sid) return auth;
    const target = this.state.accounts.get(sid);
    if (target && target.parentSid === auth.sid) return target;
    throw authError();
  }

  private route(req: RestRequest, auth: Account): RestResult {
    const p = req.pathname;
    const m = req.method;
    let match: RegExpMatchArray | null;
    if ((match = p.match(MESSAGES_RE))) {
      const account = this.pathAccount(match[1], auth);
      if (m === 'POST') return this.createMessage(account, req.form);
      if (m === 'GET') return this.listMessages(account, req);
      throw methodNotAllowed(m);
    }
    if ((match = p.match(MESSAGE_RE))) {
      const account = this.pathAccount(match[1], auth);
      if (m !== 'GET') throw methodNotAllowed(m);
      const msg = this.state.messages.get(match[2]);
      if (!msg || msg.accountSid !== account.sid) throw notFound(p);
      return { kind: 'json', status: 200, body: messageJson(msg) };
    }
    if ((match = p.match(CALLS_RE))) {
      const account = this.pathAccount(match[1], auth);
      if (m === 'POST') return this.createCall(account, req);
      if (m === 'GET') return this.listCalls(account, req);
      throw methodNotAllowed(m);
    }
    if ((match = p.match(CALL_RE))) {
      const account = this.pathAccount(match[1], auth);
      const call = this.state.calls.get(match[2]);
      if (!call || call.accountSid !== account.sid) throw notFound(p);
      if (m === 'GET') return { kind: 'json', status: 200, body: callJson(call) };
      if (m === 'POST') return this.updateCall(call, req.form);
      throw methodNotAllowed(m);
    }
    if ((match = p.match(NUMBERS_RE))) {
      const account = this.pathAccount(match[1], auth);
      if (m === 'GET') return this.listNumbers(account, req);
      throw methodNotAllowed(m);
    }
    if ((match = p.match(NUMBER_RE))) {
      const account = this.pathAccount(match[1], auth);
      const number = this.state.numbersBySid.get(match[2]);
      if (!number || number.accountSid !== account.sid) throw notFound(p);
      if (m === 'GET') return { kind: 'json', status: 200, body: numberJson(number) };
      if (m === 'POST') return this.updateNumber(number, req.form);
      if (m === 'DELETE') {
        this.state.removeNumber(number);
        return { kind: 'empty', status: 204 };
      }
      throw methodNotAllowed(m);
    }
    if (p === `${API_PREFIX}/Accounts.json`) {
      if (m !== 'GET') throw methodNotAllowed(m);
      const { page, pageSize } = paging(req.query);
      const visible = [...this.state.accounts.values()].filter(
        (a) => a.sid === auth.sid || a.parentSid === auth.sid,
      );
      return {
        kind: 'json',
        status: 200,
        body: listPage('accounts', p, {}, visible, page, pageSize, accountJson),
      };
    }
    if ((match = p.match(ACCOUNT_RE))) {
      const account = this.pathAccount(match[1], auth);
      if (m !== 'GET') throw methodNotAllowed(m);
      return { kind: 'json', status: 200, body: accountJson(account) };
    }
    throw notFound(p);
  }

  private listNumbers(account: Account, req: RestRequest): RestResult {
    const { page, pageSize } = paging(req.query);
    const filters: Record<string, string> = {};
    let numbers = this.state.numbersOf(account.sid);
    const phone = req.query.PhoneNumber;
    if (phone !== undefined && phone !== '') {
      filters.PhoneNumber = phoneParam(phone) ?? phone;
      const matches = phoneNumberMatcher(phone);
      numbers = numbers.filter((n) => matches(n.phoneNumber));
    }
    if (req.query.FriendlyName) {
      filters.FriendlyName = req.query.FriendlyName;
      numbers = numbers.filter((n) => n.friendlyName === req.query.FriendlyName);
    }
    const path = `${API_PREFIX}/Accounts/${account.sid}/IncomingPhoneNumbers.json`;
    return {
      kind: 'json',
      status: 200,
      body: listPage('incoming_phone_numbers', path, filters, numbers, page, pageSize, numberJson),
    };
  }

  private updateNumber(number: PhoneNumber, form: Record<string, string>): RestResult {
    const changes: Partial<Record<keyof PhoneNumber, string>> = {};
    for (const [param, { field, kind }] of Object.entries(NUMBER_FIELDS)) {
      const value = form[param];
      if (value === undefined) continue;
      if (kind === 'url' && value !== '' && !isHttpUrl(value)) {
        throw badRequest(21502, `${param} is not valid: ${value}`);
      }
      if (kind === 'method') {
        const upper = value.toUpperCase();
        if (upper !== '' && upper !== 'GET' && upper !== 'POST') {
          throw badRequest(20001, `${param} must be GET or POST`);
        }
        // An empty method resets to Twilio's default.
        changes[field] = upper === '' ? 'POST' : upper;
        continue;
      }
      changes[field] = value;
    }
    Object.assign(number, changes, { dateUpdated: new Date() });
    return { kind: 'json', status: 200, body: numberJson(number) };
  }

  private createMessage(account: Account, form: Record<string, string>): RestResult {
    const to = phoneParam(form.To);
    const from = phoneParam(form.From);
    const body = form.Body ?? '';
    if (!to) throw badRequest(21604, "A 'To' phone number is required.");
    if (!from) throw badRequest(21603, "A 'From' phone number is required.");
    if (!E164_RE.test(to)) throw badRequest(21211, `Invalid 'To' Phone Number: ${to}`);
    this.maybeRefuseCreate(from);
    const sender = this.state.numbersByPhone.get(from);
    if (!sender || sender.accountSid !== account.sid) {
      throw badRequest(
        21606,
        `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`,
      );
    }
    if (body.trim() === '') throw badRequest(21602, 'Message body is required.');
    if (Array.from(body).length > MAX_BODY_CHARS) {
      throw badRequest(21617, `The concatenated message body exceeds the ${MAX_BODY_CHARS} character limit.`);
    }
    let validityPeriod: number | null = null;
    if (form.ValidityPeriod !== undefined && form.ValidityPeriod !== '') {
      validityPeriod = Number(form.ValidityPeriod);
      if (!Number.isInteger(validityPeriod) || validityPeriod < 1 || validityPeriod > 36000) {
        throw badRequest(
          21624,
          `Invalid validity period value: ${form.ValidityPeriod}. Must be between 1 and 36000.`,
        );
      }
    }
    const statusCallback = form.StatusCallback ? form.StatusCallback : null;
    if (statusCallback && !isHttpUrl(statusCallback)) {
      throw badRequest(21609, `Invalid StatusCallback url: ${statusCallback}`);
    }
    const rule = recipientRule(to);
    if (rule.kind === 'reject') throw badRequest(rule.code, rule.message);

    const now = new Date();
    const message: Message = {
      sid: newSid('SM'),
      accountSid: account.sid,
      to,
      from,
      body,
      status: 'queued',
      direction: 'outbound-api',
      errorCode: null,
      errorMessage: null,
      statusCallback,
      validityPeriod,
      numSegments: countSegments(body),
      dateCreated: now,
      dateSent: now,
      dateUpdated: now,
      callbacks: [],
    };
    this.state.addMessage(message);
    const json = messageJson(message); // rendered before any status change
    this.callbacks.start(message, rule);
    const drop = this.state.faults.drop_after_create;
    if (drop && drop.count > 0) {
      drop.count--;
      if (drop.count <= 0) this.state.faults.drop_after_create = null;
      return { kind: 'drop' };
    }
    return { kind: 'json', status: 201, body: json };
  }

  private listMessages(account: Account, req: RestRequest): RestResult {
    const { page, pageSize } = paging(req.query);
    const q = req.query;
    const filters: Record<string, string> = {};
    const to = phoneParam(q.To);
    const from = phoneParam(q.From);
    const dateTests: DateFilter[] = [];
    if (to) filters.To = to;
    if (from) filters.From = from;
    for (const [name, op] of [
      ['DateSent', '='],
      ['DateSent<', '<'],
      ['DateSent>', '>'],
    ] as const) {
      if (q[name]) {
        filters[name] = q[name];
        dateTests.push(dateFilter(name, q[name], op));
      }
    }
    const matching = this.state
      .messagesOf(account.sid)
      .filter(
        (msg) =>
          (!to || msg.to === to) &&
          (!from || msg.from === from) &&
          dateTests.every((t) => t.test(msg.dateSent)),
      )
      .reverse(); // newest first, like Twilio
    const path = `${API_PREFIX}/Accounts/${account.sid}/Messages.json`;
    return {
      kind: 'json',
      status: 200,
      body: listPage('messages', path, filters, matching, page, pageSize, messageJson),
    };
  }

  private createCall(account: Account, req: RestRequest): RestResult {
    const form = req.form;
    const fault = this.state.faults.calls_create;
    const takeFault = () => {
      if (!fault || fault.count <= 0) return null;
      fault.count--;
      if (fault.count <= 0) this.state.faults.calls_create = null;
      return fault;
    };
    if (fault?.mode === 'error') {
      takeFault();
      throw injectedError(fault.status);
    }
    const to = phoneParam(form.To);
    const from = phoneParam(form.From);
    if (!to) throw badRequest(21201, "No 'To' number is specified");
    if (!from) throw badRequest(21213, "No 'From' number is specified");
    if (!E164_RE.test(to)) throw badRequest(21211, `Invalid 'To' Phone Number: ${to}`);
    const caller = this.state.numbersByPhone.get(from);
    if (!caller || caller.accountSid !== account.sid) {
      throw badRequest(
        21210,
        `The source phone number provided, ${from}, is not yet verified for your account. You may only make calls from phone numbers that you've verified or purchased from Twilio.`,
      );
    }
    const url = form.Url ?? '';
    const twiml = form.Twiml ?? '';
    if (!url && !twiml) throw badRequest(21205, 'Url parameter is required.');
    if (url && !isHttpUrl(url)) throw badRequest(21205, `Url is not a valid URL: ${url}`);
    const method = (form.Method ?? 'POST').toUpperCase();
    if (method !== 'GET' && method !== 'POST') throw badRequest(21207, 'Method must be GET or POST');
    const statusCallback = form.StatusCallback ? form.StatusCallback : null;
    if (statusCallback && !isHttpUrl(statusCallback)) {
      throw badRequest(21609, `Invalid StatusCallback url: ${statusCallback}`);
    }
    const events = this.statusEvents(req);
    const rule = callRule(to);
    if (rule.kind === 'reject') throw badRequest(rule.code, `${rule.message}: ${to}`);

    const call = this.calls.create({
      accountSid: account.sid,
      direction: 'outbound-api',
      from,
      to,
      phoneNumberSid: caller.sid,
      source: twiml ? { twiml } : { url, method },
      statusCallback,
      statusCallbackMethod: (form.StatusCallbackMethod || 'POST').toUpperCase(),
      statusCallbackEvents: events,
      script: this.state.calleeScripts.get(to) ?? DEFAULT_CALLEE_SCRIPT,
      callbackFault: this.state.faults.call_callbacks,
    });
    const json = callJson(call); // rendered while still queued
    this.calls.startOutbound(call, rule.kind === 'unanswered' ? rule.status : null);
    const after = takeFault();
    if (after?.mode === 'timeout_after_create') return { kind: 'drop' };
    if (after?.mode === 'error_after_create') {
      const err = injectedError(after.status);
      return { kind: 'json', status: err.status, body: err.toJSON(), headers: err.headers };
    }
    return { kind: 'json', status: 201, body: json };
  }

  /** StatusCallbackEvent, repeated or space separated; Twilio's default is `completed` only. */
  private statusEvents(req: RestRequest): Set<StatusEvent> {
    const raw = req.formAll
      ? req.formAll.getAll('StatusCallbackEvent')
      : [req.form.StatusCallbackEvent ?? ''];
    const names = raw.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean);
    if (names.length === 0) return new Set(['completed']);
    for (const n of names) {
      if (!STATUS_EVENTS.has(n)) throw badRequest(21626, `Invalid StatusCallbackEvent: ${n}`);
    }
    return new Set(names as StatusEvent[]);
  }

  private updateCall(call: Call, form: Record<string, string>): RestResult {
    const status = form.Status;
    if (status !== undefined && status !== '') {
      if (status !== 'completed' && status !== 'canceled') {
        throw badRequest(21218, `Invalid Status: ${status}. Must be completed or canceled`);
      }
      this.calls.hangUp(call, status);
    } else if (form.Twiml) {
      this.calls.redirect(call, { twiml: form.Twiml });
    } else if (form.Url) {
      if (!isHttpUrl(form.Url)) throw badRequest(21205, `Url is not a valid URL: ${form.Url}`);
      this.calls.redirect(call, { url: form.Url, method: (form.Method || 'POST').toUpperCase() });
    }
    if (form.StatusCallback) call.statusCallback = form.StatusCallback;
    return { kind: 'json', status: 200, body: callJson(call) };
  }

  private listCalls(account: Account, req: RestRequest): RestResult {
    const { page, pageSize } = paging(req.query);
    const q = req.query;
    const filters: Record<string, string> = {};
    const to = phoneParam(q.To);
    const from = phoneParam(q.From);
    const status = q.Status;
    if (to) filters.To = to;
    if (from) filters.From = from;
    if (status) {
      if (!CALL_STATUSES.has(status)) throw badRequest(20001, `Invalid Status: ${status}`);
      filters.Status = status;
    }
    const dateTests: DateFilter[] = [];
    for (const [name, op] of [
      ['StartTime', '='],
      ['StartTime<', '<'],
      ['StartTime>', '>'],
    ] as const) {
      if (q[name]) {
        filters[name] = q[name];
        dateTests.push(dateFilter(name, q[name], op));
      }
    }
    const matching: Call[] = [];
    for (const c of this.state.calls.values()) {
      if (c.accountSid !== account.sid) continue;
      if ((to && c.to !== to) || (from && c.from !== from) || (status && c.status !== status)) continue;
      // A call still queued has no start_time yet; it is filtered by its creation time instead.
      const started = c.startTime ?? c.dateCreated;
      if (dateTests.every((t) => t.test(started))) matching.push(c);
    }
    matching.reverse(); // newest first
    const path = `${API_PREFIX}/Accounts/${account.sid}/Calls.json`;
    return {
      kind: 'json',
      status: 200,
      body: listPage('calls', path, filters, matching, page, pageSize, callJson),
    };
  }
}
