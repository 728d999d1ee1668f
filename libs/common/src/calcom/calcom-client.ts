import type { CalendarErrorCode } from '../contracts/calendar';
import { config } from '../config';

/** Cal.com's API versions, per endpoint (see Cal.com's API v2 reference). */
const SLOTS_VERSION = '2024-09-04';
const BOOKINGS_VERSION = '2024-08-13';

/**
 * A Cal.com answer that was not a success, as a stable code. The message is
 * ours (status and Cal.com's error code/message), never the key.
 */
export class CalcomError extends Error {
  constructor(
    readonly code: CalendarErrorCode,
    message: string,
    /** Cal.com's HTTP status, when it answered. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CalcomError';
  }
}

export interface CalcomBookingRequest {
  eventTypeId: string;
  /** UTC instant, ISO 8601. */
  start: string;
  name: string;
  email?: string | null;
  phoneNumber?: string | null;
  /** The attendee's time zone (the number's). */
  timeZone: string;
  notes?: string | null;
}

export interface CalcomBooking {
  id: number | null;
  uid: string;
  /** UTC, ISO 8601. */
  start: string;
  end: string | null;
  status: string;
}

export interface CalcomClientOptions {
  baseUrl: string;
  timeoutMs: number;
}

/**
 * The few Cal.com API v2 calls the agent needs: free slots and booking. Every
 * failure is a CalcomError with a CalendarErrorCode:
 * 401/403 `calendar_auth_failed`, 409 and a 400 for the slot
 * `slot_unavailable`, a 400 about the attendee's email `email_required`,
 * 429 `calendar_rate_limited`, 5xx / refused connection `calendar_unavailable`,
 * no answer in `timeoutMs` `calendar_timeout`.
 */
export class CalcomClient {
  private readonly baseUrl: string;

  constructor(private readonly opts: CalcomClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
  }

  static fromConfig(): CalcomClient {
    const c = config().calcom;
    return new CalcomClient({ baseUrl: c.apiBaseUrl, timeoutMs: c.timeoutMs });
  }

  /** Free slots between two dates (inclusive, `YYYY-MM-DD` in `timeZone`), as UTC ms, earliest first. */
  async slots(
    key: string,
    eventTypeId: string,
    fromDate: string,
    toDate: string,
    timeZone: string,
  ): Promise<number[]> {
    const q = new URLSearchParams({ eventTypeId, start: fromDate, end: toDate, timeZone });
    const body = await this.call(key, 'GET', `/v2/slots?${q.toString()}`, SLOTS_VERSION);
    const data = (body as { data?: unknown }).data;
    if (!data || typeof data !== 'object') {
      throw new CalcomError('calendar_unavailable', 'Cal.com answered slots without data');
    }
    const out: number[] = [];
    for (const day of Object.values(data as Record<string, unknown>)) {
      if (!Array.isArray(day)) continue;
      for (const slot of day) {
        const start = typeof slot === 'string' ? slot : (slot as { start?: unknown })?.start;
        const ms = typeof start === 'string' ? Date.parse(start) : NaN;
        if (Number.isFinite(ms)) out.push(ms);
      }
    }
    return [...new Set(out)].sort((a, b) => a - b);
  }

  async book(key: string, req: CalcomBookingRequest): Promise<CalcomBooking> {
    const eventTypeId = /^\d+$/.test(req.eventTypeId) ? Number(req.eventTypeId) : req.eventTypeId;
    const attendee: Record<string, string> = { name: req.name, timeZone: req.timeZone };
    if (req.email) attendee.email = req.email;
    if (req.phoneNumber) attendee.phoneNumber = req.phoneNumber;
    const body = await this.call(key, 'POST', '/v2/bookings', BOOKINGS_VERSION, {
      eventTypeId,
      start: req.start,
      attendee,
      ...(req.notes ? { bookingFieldsResponses: { notes: req.notes } } : {}),
    });
    const d = (body as { data?: Record<string, unknown> }).data;
    if (!d || typeof d.uid !== 'string' || typeof d.start !== 'string') {
      throw new CalcomError('calendar_unavailable', 'Cal.com answered the booking without a uid');
    }
    return {
      id: typeof d.id === 'number' ? d.id : null,
      uid: d.uid,
      start: new Date(d.start).toISOString(),
      end: typeof d.end === 'string' ? new Date(d.end).toISOString() : null,
      status: typeof d.status === 'string' ? d.status : 'accepted',
    };
  }

  private async call(
    key: string,
    method: string,
    path: string,
    version: string,
    json?: unknown,
  ): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          'cal-api-version': version,
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new CalcomError('calendar_timeout', `Cal.com did not answer within ${this.opts.timeoutMs} ms`);
      }
      throw new CalcomError('calendar_unavailable', 'Cal.com could not be reached');
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      const name = (err as Error)?.name;
      throw new CalcomError(
        name === 'TimeoutError' || name === 'AbortError' ? 'calendar_timeout' : 'calendar_unavailable',
        'Cal.com broke off its answer',
        res.status,
      );
    }
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = undefined;
    }
    if (res.ok && body !== undefined) return body;
    throw errorOf(res.status, body);
  }
}

function errorOf(status: number, body: unknown): CalcomError {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const detail = [e?.code, e?.message]
    .filter((x) => typeof x === 'string')
    .join(': ')
    .slice(0, 300);
  const message = `Cal.com answered ${status}${detail ? ` (${detail})` : ''}`;
  if (status === 401 || status === 403) return new CalcomError('calendar_auth_failed', message, status);
  if (status === 429) return new CalcomError('calendar_rate_limited', message, status);
  if (status === 409) return new CalcomError('slot_unavailable', message, status);
  if (status === 400 || status === 422) {
    return new CalcomError(/email/i.test(detail) ? 'email_required' : 'slot_unavailable', message, status);
  }
  if (status >= 200 && status < 300) {
    return new CalcomError(
      'calendar_unavailable',
      `Cal.com answered ${status} with a body that is not JSON`,
      status,
    );
  }
  if (status === 404) return new CalcomError('calendar_not_configured', message, status);
  return new CalcomError('calendar_unavailable', message, status);
}
