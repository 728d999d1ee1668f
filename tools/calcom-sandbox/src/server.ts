import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime, IANAZone } from 'luxon';
import { parseJsonBody, readBody, sendJson } from '../../twilio-sandbox/src/http-util';
import { Attendee, Booking, Calendars, EventTypeConfig, defaultEventType } from './calendar';

/**
 * Fake Cal.com API v2 (slots, bookings, cancel) plus a JSON admin API under
 * /__admin. In-memory only. See README.md for the contract.
 */

export interface CalcomSandboxOptions {
  port?: number;
  host?: string;
}

export interface CalcomSandboxHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface RecordedRequest {
  at: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** The `cal-api-version` header as sent. */
  api_version: string | null;
  /** Whether a bearer key came with it (the key itself is never stored). */
  authorization: boolean;
  body: unknown;
}

type FaultMode = 'none' | 'down' | 'hang' | 'rate_limit';
const FAULT_MODES: FaultMode[] = ['none', 'down', 'hang', 'rate_limit'];

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

/** An event type id as sent: a number or a string. */
function idOf(v: unknown): string {
  return typeof v === 'number' || typeof v === 'string' ? String(v) : '';
}

function apiError(res: http.ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { status: 'error', error: { code, message } });
}

function bookingView(b: Booking) {
  return {
    id: b.id,
    uid: b.uid,
    title: `Appointment with ${b.attendees[0]?.name ?? 'guest'}`,
    start: b.start,
    end: b.end,
    duration: Math.round((Date.parse(b.end) - Date.parse(b.start)) / 60_000),
    eventTypeId: Number.isNaN(Number(b.eventTypeId)) ? b.eventTypeId : Number(b.eventTypeId),
    status: b.status,
    attendees: b.attendees,
    bookingFieldsResponses: b.notes ? { notes: b.notes } : {},
    cancellationReason: b.cancellationReason,
    createdAt: b.createdAt,
  };
}

/** The admin's event-type settings: every field optional, the rest kept from the current settings. */
function eventTypeFrom(body: Record<string, unknown>, base: EventTypeConfig): EventTypeConfig {
  const et: EventTypeConfig = { ...base, availability: { ...base.availability } };
  const a = body.availability as Record<string, unknown> | undefined;
  if (a !== undefined) {
    const days = a.days ?? et.availability.days;
    const start = a.start ?? et.availability.start;
    const end = a.end ?? et.availability.end;
    if (
      !Array.isArray(days) ||
      !days.every((d) => Number.isInteger(d) && d >= 1 && d <= 7) ||
      typeof start !== 'string' ||
      !HHMM.test(start) ||
      typeof end !== 'string' ||
      !HHMM.test(end) ||
      start >= end
    ) {
      throw new HttpError(
        400,
        'invalid_availability',
        'availability is {days: [1..7], start: "HH:mm", end: "HH:mm"}',
      );
    }
    et.availability = { days: days as number[], start, end };
  }
  if (body.slot_minutes !== undefined) {
    const n = body.slot_minutes;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 5 || n > 480) {
      throw new HttpError(400, 'invalid_slot_minutes', 'slot_minutes is an integer of 5-480');
    }
    et.slot_minutes = n;
  }
  if (body.time_zone !== undefined) {
    if (typeof body.time_zone !== 'string' || !IANAZone.isValidZone(body.time_zone)) {
      throw new HttpError(400, 'invalid_time_zone', 'time_zone is an IANA time zone');
    }
    et.time_zone = body.time_zone;
  }
  if (body.phone_only !== undefined) et.phone_only = body.phone_only === true;
  if (body.api_keys !== undefined) {
    const keys = body.api_keys;
    if (keys !== null && (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string'))) {
      throw new HttpError(
        400,
        'invalid_api_keys',
        'api_keys is a list of strings, or null for the default rule',
      );
    }
    et.api_keys = keys;
  }
  return et;
}

export async function startCalcomSandbox(opts: CalcomSandboxOptions = {}): Promise<CalcomSandboxHandle> {
  const cal = new Calendars();
  let recorded: RecordedRequest[] = [];
  let fault: { mode: FaultMode; count: number | null } = { mode: 'none', count: null };
  const hanging = new Set<http.ServerResponse>();

  const releaseHanging = () => {
    for (const res of hanging) res.socket?.destroy();
    hanging.clear();
  };

  /** The fault to apply to this API request, counting it down. */
  function takeFault(): FaultMode {
    if (fault.mode === 'none') return 'none';
    const mode = fault.mode;
    if (fault.count !== null) {
      fault.count--;
      if (fault.count <= 0) fault = { mode: 'none', count: null };
    }
    return mode;
  }

  function bearer(req: http.IncomingMessage): string | null {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer\s+(\S+)$/i.exec(h) : null;
    return m ? m[1] : null;
  }

  function authorize(req: http.IncomingMessage, eventTypeId: string): void {
    const key = bearer(req);
    if (!key || !cal.keyAccepted(eventTypeId, key)) {
      throw new HttpError(401, 'UnauthorizedException', 'Invalid or revoked API key');
    }
  }

  function slots(req: http.IncomingMessage, res: http.ServerResponse, q: URLSearchParams): void {
    const eventTypeId = q.get('eventTypeId') ?? '';
    if (!eventTypeId) throw new HttpError(400, 'BadRequestException', 'eventTypeId is required');
    authorize(req, eventTypeId);
    const zone = q.get('timeZone') || 'UTC';
    if (!IANAZone.isValidZone(zone)) throw new HttpError(400, 'BadRequestException', 'timeZone is invalid');
    const start = q.get('start') ?? '';
    const end = q.get('end') ?? '';
    const from = DAY.test(start)
      ? DateTime.fromISO(start, { zone })
      : DateTime.fromISO(start, { setZone: true });
    const toDay = DAY.test(end)
      ? DateTime.fromISO(end, { zone }).plus({ days: 1 })
      : DateTime.fromISO(end, { setZone: true });
    if (!from.isValid || !toDay.isValid || toDay <= from) {
      throw new HttpError(
        400,
        'BadRequestException',
        'start and end are dates (YYYY-MM-DD), start before end',
      );
    }
    const data: Record<string, { start: string }[]> = {};
    for (const ms of cal.freeSlots(eventTypeId, from, toDay)) {
      const local = DateTime.fromMillis(ms, { zone });
      const day = local.toISODate()!;
      (data[day] ??= []).push({ start: local.toISO({ includeOffset: true })! });
    }
    sendJson(res, 200, { status: 'success', data });
  }

  function book(req: http.IncomingMessage, res: http.ServerResponse, body: Record<string, unknown>): void {
    const eventTypeId = idOf(body.eventTypeId);
    if (!eventTypeId) throw new HttpError(400, 'BadRequestException', 'eventTypeId is required');
    authorize(req, eventTypeId);
    const et = cal.eventType(eventTypeId);
    const ms = typeof body.start === 'string' ? Date.parse(body.start) : NaN;
    if (!Number.isFinite(ms))
      throw new HttpError(400, 'BadRequestException', 'start must be an ISO 8601 time');
    const a = (body.attendee ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
    const name = str(a.name);
    const email = str(a.email);
    const phone = str(a.phoneNumber);
    if (!name) throw new HttpError(400, 'BadRequestException', 'attendee.name is required');
    if (!email && !(et.phone_only && phone)) {
      throw new HttpError(
        400,
        'BadRequestException',
        et.phone_only ? 'attendee.email or attendee.phoneNumber is required' : 'attendee.email is required',
      );
    }
    if (email && !/^[^@\s]+@[^@\s]+$/.test(email)) {
      throw new HttpError(400, 'BadRequestException', 'attendee.email is not an email address');
    }
    const verdict = cal.check(eventTypeId, ms);
    if (verdict === 'taken') {
      throw new HttpError(409, 'ConflictException', 'The slot is no longer available (already booked)');
    }
    if (verdict === 'outside' || verdict === 'past') {
      throw new HttpError(400, 'no_available_users_found_error', 'No available users found for this time');
    }
    const responses = (body.bookingFieldsResponses ?? {}) as Record<string, unknown>;
    const attendee: Attendee = {
      name,
      email,
      timeZone: str(a.timeZone) ?? et.time_zone,
      phoneNumber: phone,
    };
    const booking = cal.book(eventTypeId, ms, attendee, str(responses.notes));
    sendJson(res, 201, { status: 'success', data: bookingView(booking) });
  }

  function cancel(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    uid: string,
    body: Record<string, unknown>,
  ) {
    const b = cal.bookings.find((x) => x.uid === uid);
    if (!b) {
      if (!bearer(req)) throw new HttpError(401, 'UnauthorizedException', 'Invalid or revoked API key');
      throw new HttpError(404, 'NotFoundException', `Booking ${uid} not found`);
    }
    authorize(req, b.eventTypeId);
    b.status = 'cancelled';
    b.cancellationReason = typeof body.cancellationReason === 'string' ? body.cancellationReason : null;
    sendJson(res, 200, { status: 'success', data: bookingView(b) });
  }

  async function api(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const text = await readBody(req);
    let body: Record<string, unknown> = {};
    let bodyError = false;
    try {
      body = parseJsonBody(text);
    } catch {
      bodyError = true;
    }
    recorded.push({
      at: new Date().toISOString(),
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      api_version: typeof req.headers['cal-api-version'] === 'string' ? req.headers['cal-api-version'] : null,
      authorization: bearer(req) !== null,
      body: bodyError ? text : body,
    });
    if (recorded.length > 10_000) recorded = recorded.slice(-10_000);

    switch (takeFault()) {
      case 'hang':
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      case 'down':
        apiError(res, 503, 'ServiceUnavailableException', 'Cal.com is unavailable');
        return;
      case 'rate_limit':
        res.setHeader('retry-after', '1');
        apiError(res, 429, 'TooManyRequestsException', 'Too many requests');
        return;
      case 'none':
        break;
    }
    if (bodyError) throw new HttpError(400, 'BadRequestException', 'invalid JSON body');

    const cancelMatch = /^\/v2\/bookings\/([^/]+)\/cancel$/.exec(url.pathname);
    if (req.method === 'GET' && url.pathname === '/v2/slots') return slots(req, res, url.searchParams);
    if (req.method === 'POST' && url.pathname === '/v2/bookings') return book(req, res, body);
    if (req.method === 'POST' && cancelMatch)
      return cancel(req, res, decodeURIComponent(cancelMatch[1]), body);
    throw new HttpError(404, 'NotFoundException', `Cannot ${req.method} ${url.pathname}`);
  }

  async function admin(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = parseJsonBody(await readBody(req));
    } catch {
      throw new HttpError(400, 'invalid_json', 'body must be a JSON object');
    }
    const p = url.pathname;
    const m = req.method;
    const eventTypeMatch = /^\/__admin\/event-types\/([^/]+)$/.exec(p);
    if (m === 'GET' && p === '/__admin/health') return sendJson(res, 200, { status: 'ok' });
    if (m === 'POST' && p === '/__admin/reset') {
      cal.reset();
      recorded = [];
      fault = { mode: 'none', count: null };
      releaseHanging();
      return sendJson(res, 200, { reset: true });
    }
    if (eventTypeMatch && (m === 'PUT' || m === 'GET')) {
      const id = decodeURIComponent(eventTypeMatch[1]);
      if (m === 'PUT') cal.eventTypes.set(id, eventTypeFrom(body, defaultEventType()));
      return sendJson(res, 200, { id, ...cal.eventType(id) });
    }
    if (m === 'GET' && p === '/__admin/bookings') return sendJson(res, 200, cal.bookings.map(bookingView));
    if (m === 'POST' && p === '/__admin/bookings') {
      const eventTypeId = idOf(body.eventTypeId);
      const ms = typeof body.start === 'string' ? Date.parse(body.start) : NaN;
      if (!eventTypeId || !Number.isFinite(ms)) {
        throw new HttpError(400, 'invalid_booking', 'eventTypeId and start (ISO 8601) are required');
      }
      const verdict = cal.check(eventTypeId, ms);
      if (verdict !== 'free') throw new HttpError(409, 'slot_not_free', `That slot is ${verdict}`);
      const b = cal.book(
        eventTypeId,
        ms,
        { name: 'Someone else', email: 'someone@example.com', timeZone: 'UTC', phoneNumber: null },
        null,
      );
      return sendJson(res, 201, bookingView(b));
    }
    if (m === 'GET' && p === '/__admin/requests') return sendJson(res, 200, recorded);
    if (m === 'DELETE' && p === '/__admin/requests') {
      recorded = [];
      return sendJson(res, 200, { cleared: true });
    }
    if (m === 'POST' && p === '/__admin/faults') {
      const mode = body.mode as FaultMode;
      const count = body.count;
      if (!FAULT_MODES.includes(mode)) {
        throw new HttpError(400, 'invalid_fault', `mode is one of ${FAULT_MODES.join(', ')}`);
      }
      if (
        count !== undefined &&
        count !== null &&
        (typeof count !== 'number' || !Number.isInteger(count) || count < 1)
      ) {
        throw new HttpError(400, 'invalid_fault', 'count is a positive integer (absent = until changed)');
      }
      fault = { mode, count: mode === 'none' ? null : ((count as number | undefined) ?? null) };
      if (mode !== 'hang') releaseHanging();
      return sendJson(res, 200, fault);
    }
    if (m === 'GET' && p === '/__admin/faults') return sendJson(res, 200, fault);
    if (m === 'POST' && p === '/__admin/clock') {
      const now = body.now;
      if (now === null || now === undefined) cal.nowOverride = null;
      else if (typeof now === 'string' && Number.isFinite(Date.parse(now))) cal.nowOverride = Date.parse(now);
      else throw new HttpError(400, 'invalid_clock', 'now is an ISO 8601 time, or null for the real clock');
      return sendJson(res, 200, {
        now: new Date(cal.now()).toISOString(),
        overridden: cal.nowOverride !== null,
      });
    }
    throw new HttpError(404, 'not_found', `no admin route ${m} ${p}`);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox.local');
    const isAdmin = url.pathname.startsWith('/__admin');
    (isAdmin ? admin(req, res, url) : api(req, res, url)).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof HttpError) {
        if (isAdmin) sendJson(res, err.status, { error: { code: err.code, message: err.message } });
        else apiError(res, err.status, err.code, err.message);
        return;
      }
      apiError(res, 500, 'InternalServerErrorException', (err as Error).message);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        releaseHanging();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
