import { CalcomClient, CalcomError } from '../../libs/common/src/calcom';
import { startCalcomSandbox, type CalcomSandboxHandle } from '../../tools/calcom-sandbox/src/server';
import { freePort } from '../harness/stack';

/**
 * The Cal.com sandbox as Cal.com's API v2 behaves for what we use (slots,
 * bookings, cancel, keys), its admin API, and our CalcomClient against it.
 * The sandbox's clock is set to Monday 7 January 2030, 00:00 UTC (London is
 * on UTC then), so every date below is fixed.
 */
describe('calcom-sandbox', () => {
  let sandbox: CalcomSandboxHandle;
  const KEY = 'cal_test_sandbox_key_123';
  const MONDAY = '2030-01-07';

  const api = async (
    method: string,
    path: string,
    opts: { body?: unknown; key?: string | null; version?: string } = {},
  ) => {
    const headers: Record<string, string> = {};
    const key = opts.key === undefined ? KEY : opts.key;
    if (key) headers.authorization = `Bearer ${key}`;
    if (opts.version) headers['cal-api-version'] = opts.version;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${sandbox.url}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const admin = (method: string, path: string, body?: unknown) =>
    api(method, `/__admin${path}`, { body, key: null });
  const slots = (
    eventTypeId: string,
    start: string,
    end: string,
    timeZone = 'Europe/London',
    key?: string | null,
  ) =>
    api(
      'GET',
      `/v2/slots?eventTypeId=${eventTypeId}&start=${start}&end=${end}&timeZone=${encodeURIComponent(timeZone)}`,
      {
        key,
        version: '2024-09-04',
      },
    );
  const book = (body: Record<string, unknown>, key?: string | null) =>
    api('POST', '/v2/bookings', { body, key, version: '2024-08-13' });
  const attendee = { name: 'Ann Smith', email: 'ann@example.com', timeZone: 'Europe/London' };

  beforeAll(async () => {
    sandbox = await startCalcomSandbox({ port: 0 });
  });
  afterAll(() => sandbox.close());
  beforeEach(async () => {
    await admin('POST', '/reset');
    await admin('POST', '/clock', { now: `${MONDAY}T00:00:00Z` });
  });

  it('offers Mon-Fri 09:00-17:00 London in 30-minute slots, by day, in the asked time zone', async () => {
    const res = await slots('42', MONDAY, '2030-01-13');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('success');
    expect(Object.keys(res.body.data)).toEqual([
      '2030-01-07',
      '2030-01-08',
      '2030-01-09',
      '2030-01-10',
      '2030-01-11',
    ]);
    expect(res.body.data['2030-01-07']).toHaveLength(16);
    expect(res.body.data['2030-01-07'][0]).toEqual({ start: '2030-01-07T09:00:00.000+00:00' });
    expect(res.body.data['2030-01-07'][15]).toEqual({ start: '2030-01-07T16:30:00.000+00:00' });

    const ny = await slots('42', MONDAY, MONDAY, 'America/New_York');
    expect(ny.body.data['2030-01-07'][0]).toEqual({ start: '2030-01-07T04:00:00.000-05:00' });
  });

  it('never offers the past, and follows a configured availability and time zone', async () => {
    await admin('POST', '/clock', { now: `${MONDAY}T12:10:00Z` });
    const today = await slots('42', MONDAY, MONDAY);
    expect(today.body.data[MONDAY][0].start).toBe('2030-01-07T12:30:00.000+00:00');

    const put = await admin('PUT', '/event-types/77', {
      availability: { days: [6], start: '10:00', end: '12:00' },
      slot_minutes: 60,
      time_zone: 'America/New_York',
    });
    expect(put.status).toBe(200);
    const saturday = await slots('77', MONDAY, '2030-01-13', 'America/New_York');
    expect(saturday.body.data).toEqual({
      '2030-01-12': [{ start: '2030-01-12T10:00:00.000-05:00' }, { start: '2030-01-12T11:00:00.000-05:00' }],
    });
    expect((await admin('PUT', '/event-types/77', { time_zone: 'Mars/Base' })).status).toBe(400);
  });

  it('books a free slot (201), which then disappears and answers 409 when booked again', async () => {
    const res = await book({
      eventTypeId: 42,
      start: '2030-01-08T10:00:00Z',
      attendee,
      bookingFieldsResponses: { notes: 'Check-up' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'success',
      data: {
        uid: expect.any(String),
        id: expect.any(Number),
        start: '2030-01-08T10:00:00.000Z',
        end: '2030-01-08T10:30:00.000Z',
        status: 'accepted',
        attendees: [{ name: 'Ann Smith', email: 'ann@example.com' }],
      },
    });
    const after = await slots('42', '2030-01-08', '2030-01-08');
    expect(after.body.data['2030-01-08'].map((s: any) => s.start)).not.toContain(
      '2030-01-08T10:00:00.000+00:00',
    );

    const again = await book({ eventTypeId: 42, start: '2030-01-08T10:00:00Z', attendee });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      status: 'error',
      error: { code: expect.any(String), message: expect.any(String) },
    });
  });

  it('answers 400 outside availability, in the past, or without an email (unless phone-only)', async () => {
    expect((await book({ eventTypeId: 42, start: '2030-01-12T10:00:00Z', attendee })).status).toBe(400);
    expect((await book({ eventTypeId: 42, start: '2030-01-08T08:00:00Z', attendee })).status).toBe(400);
    expect((await book({ eventTypeId: 42, start: '2030-01-08T10:10:00Z', attendee })).status).toBe(400);
    await admin('POST', '/clock', { now: '2030-01-08T12:00:00Z' });
    expect((await book({ eventTypeId: 42, start: '2030-01-08T10:00:00Z', attendee })).status).toBe(400);

    const phoneOnly = { name: 'Ann', timeZone: 'Europe/London', phoneNumber: '+447700900123' };
    const noEmail = await book({ eventTypeId: 42, start: '2030-01-09T10:00:00Z', attendee: phoneOnly });
    expect(noEmail.status).toBe(400);
    expect(noEmail.body.error.message).toMatch(/email/);
    await admin('PUT', '/event-types/42', { phone_only: true });
    expect((await book({ eventTypeId: 42, start: '2030-01-09T10:00:00Z', attendee: phoneOnly })).status).toBe(
      201,
    );
  });

  it('cancels a booking, which frees its slot', async () => {
    const made = await book({ eventTypeId: 42, start: '2030-01-08T10:00:00Z', attendee });
    const cancelled = await api('POST', `/v2/bookings/${made.body.data.uid}/cancel`, {
      body: { cancellationReason: 'changed plans' },
      version: '2024-08-13',
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.data.status).toBe('cancelled');
    expect((await book({ eventTypeId: 42, start: '2030-01-08T10:00:00Z', attendee })).status).toBe(201);
    expect((await api('POST', '/v2/bookings/nope/cancel', { body: {} })).status).toBe(404);
  });

  it('answers 401 without a key, for a revoked or foreign key, and for keys an event type does not accept', async () => {
    for (const key of [null, 'cal_test_revoked_1', 'sk_live_abc', 'cal_live']) {
      const res = await slots('42', MONDAY, MONDAY, 'Europe/London', key);
      expect({ key, status: res.status }).toEqual({ key, status: 401 });
      expect(res.body.status).toBe('error');
    }
    expect((await slots('42', MONDAY, MONDAY, 'Europe/London', 'cal_live_abc')).status).toBe(200);
    await admin('PUT', '/event-types/42', { api_keys: ['only-this-key'] });
    expect((await slots('42', MONDAY, MONDAY, 'Europe/London', KEY)).status).toBe(401);
    expect((await book({ eventTypeId: 42, start: '2030-01-08T10:00:00Z', attendee }, KEY)).status).toBe(401);
    expect((await slots('42', MONDAY, MONDAY, 'Europe/London', 'only-this-key')).status).toBe(200);
  });

  it('books a slot directly through the admin API (taken meanwhile) and lists bookings', async () => {
    const taken = await admin('POST', '/bookings', { eventTypeId: 42, start: '2030-01-08T10:00:00Z' });
    expect(taken.status).toBe(201);
    expect(
      (await admin('POST', '/bookings', { eventTypeId: 42, start: '2030-01-08T10:00:00Z' })).status,
    ).toBe(409);
    expect((await book({ eventTypeId: 42, start: '2030-01-08T10:00:00Z', attendee })).status).toBe(409);
    const list = await admin('GET', '/bookings');
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ start: '2030-01-08T10:00:00.000Z', status: 'accepted' });
  });

  it('records what it received (version, whether a key came), never the key itself', async () => {
    await slots('42', MONDAY, MONDAY);
    await book({ eventTypeId: 42, start: '2030-01-08T10:00:00Z', attendee });
    const recorded = await admin('GET', '/requests');
    expect(recorded.body.map((r: any) => [r.method, r.path, r.api_version, r.authorization])).toEqual([
      ['GET', '/v2/slots', '2024-09-04', true],
      ['POST', '/v2/bookings', '2024-08-13', true],
    ]);
    expect(recorded.body[0].query).toMatchObject({ eventTypeId: '42', start: MONDAY });
    expect(JSON.stringify(recorded.body)).not.toContain(KEY);
  });

  it('injects faults: down (503) and rate limit (429) for a count, hang until reset', async () => {
    await admin('POST', '/faults', { mode: 'down', count: 1 });
    expect((await slots('42', MONDAY, MONDAY)).status).toBe(503);
    expect((await slots('42', MONDAY, MONDAY)).status).toBe(200);
    await admin('POST', '/faults', { mode: 'rate_limit' });
    expect((await slots('42', MONDAY, MONDAY)).status).toBe(429);
    expect((await slots('42', MONDAY, MONDAY)).status).toBe(429);
    await admin('POST', '/faults', { mode: 'hang' });
    await expect(
      fetch(`${sandbox.url}/v2/slots?eventTypeId=42&start=${MONDAY}&end=${MONDAY}`, {
        headers: { authorization: `Bearer ${KEY}` },
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toThrow();
    await admin('POST', '/faults', { mode: 'none' });
    expect((await slots('42', MONDAY, MONDAY)).status).toBe(200);
    expect((await admin('POST', '/faults', { mode: 'explode' })).status).toBe(400);
  });

  describe('CalcomClient against it', () => {
    const client = () => new CalcomClient({ baseUrl: sandbox.url, timeoutMs: 500 });
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (err: unknown) => {
          expect(err).toBeInstanceOf(CalcomError);
          expect((err as Error).message).not.toContain(KEY);
          return (err as CalcomError).code;
        },
      );
    const booking = (start: string, email: string | null = 'ann@example.com') => ({
      eventTypeId: '42',
      start,
      name: 'Ann',
      email,
      phoneNumber: '+447700900123',
      timeZone: 'Europe/London',
    });

    it('reads slots as UTC instants and books', async () => {
      const free = await client().slots(KEY, '42', MONDAY, MONDAY, 'Europe/London');
      expect(free).toHaveLength(16);
      expect(new Date(free[0]).toISOString()).toBe('2030-01-07T09:00:00.000Z');
      const b = await client().book(KEY, { ...booking('2030-01-07T09:00:00.000Z'), notes: 'Check-up' });
      expect(b).toMatchObject({
        uid: expect.any(String),
        start: '2030-01-07T09:00:00.000Z',
        status: 'accepted',
      });
      const [req] = ((await admin('GET', '/requests')).body as any[]).filter((r) => r.method === 'POST');
      expect(req.body).toEqual({
        eventTypeId: 42,
        start: '2030-01-07T09:00:00.000Z',
        attendee: {
          name: 'Ann',
          email: 'ann@example.com',
          phoneNumber: '+447700900123',
          timeZone: 'Europe/London',
        },
        bookingFieldsResponses: { notes: 'Check-up' },
      });
    });

    it('maps every failure to a calendar error code', async () => {
      await admin('POST', '/bookings', { eventTypeId: 42, start: '2030-01-07T09:00:00Z' });
      expect(await codeOf(client().book(KEY, booking('2030-01-07T09:00:00Z')))).toBe('slot_unavailable');
      expect(await codeOf(client().book(KEY, booking('2030-01-12T09:00:00Z')))).toBe('slot_unavailable');
      expect(await codeOf(client().book(KEY, booking('2030-01-07T10:00:00Z', null)))).toBe('email_required');
      expect(await codeOf(client().slots('cal_test_revoked', '42', MONDAY, MONDAY, 'UTC'))).toBe(
        'calendar_auth_failed',
      );
      await admin('POST', '/faults', { mode: 'rate_limit', count: 1 });
      expect(await codeOf(client().slots(KEY, '42', MONDAY, MONDAY, 'UTC'))).toBe('calendar_rate_limited');
      await admin('POST', '/faults', { mode: 'down', count: 1 });
      expect(await codeOf(client().slots(KEY, '42', MONDAY, MONDAY, 'UTC'))).toBe('calendar_unavailable');
      await admin('POST', '/faults', { mode: 'hang', count: 1 });
      expect(await codeOf(client().book(KEY, booking('2030-01-07T10:00:00Z')))).toBe('calendar_timeout');
      const closed = new CalcomClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 500 });
      expect(await codeOf(closed.slots(KEY, '42', MONDAY, MONDAY, 'UTC'))).toBe('calendar_unavailable');
    });
  });
});
