import { BrokerClient, CalendarCommands } from '@nixflex/common';
import { createAccount, TestAccount } from '../factories/accounts';
import { calcomAdmin, calcomKey, calendarBroker, futureWeekday, londonTime } from '../factories/calendar';
import { FAST_WEBHOOK_ENV, Receiver } from '../factories/customer-webhooks';
import { importedNumber } from '../factories/numbers';
import { Stack, waitFor } from '../harness/stack';
import { Documented } from '../openapi/documented';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../harness/infra';

/**
 * The agent's calendar actions against the real numbers service and the
 * Cal.com sandbox: free slots, booking once per idempotency key, the record
 * of every attempt in GET /v1/bookings, booking.created at the number's
 * webhook, and each Cal.com failure as words the agent can say.
 */
describe('calendar: availability and bookings', () => {
  let stack: Stack;
  let acme: TestAccount;
  let other: TestAccount;
  let receiver: Receiver;
  let rpc: { client: BrokerClient; close(): Promise<void> };
  let phone: string;
  const key = calcomKey('acme');
  const day = futureWeekday(8);
  const documented = new Documented(
    JSON.parse(fs.readFileSync(path.join(ROOT, 'docs/openapi.json'), 'utf8')),
  );

  const book = (overrides: Record<string, unknown> = {}) =>
    rpc.client.request(CalendarCommands.book, {
      account_id: acme.account_id,
      phone_number: phone,
      idempotency_key: `call_test:turn:1:tool:${Math.random().toString(36).slice(2)}`,
      start: londonTime(day, '10:00'),
      name: 'Ann Smith',
      email: 'ann@example.com',
      notes: 'Check-up',
      contact: '+447700900123',
      source: { call_id: 'call_0123456789abcdef' },
      ...overrides,
    });
  const availability = (from: string, to: string, account = acme.account_id, number = phone) =>
    rpc.client.request(CalendarCommands.availability, {
      account_id: account,
      phone_number: number,
      from_date: from,
      to_date: to,
    });
  const sandboxBookings = async () => (await calcomAdmin(stack, 'GET', '/bookings')) as any[];

  beforeAll(async () => {
    stack = await Stack.start({ env: { ...FAST_WEBHOOK_ENV, CALCOM_TIMEOUT_MS: '1500' } });
    acme = await createAccount(stack, 'Acme Dental');
    other = await createAccount(stack, 'Other');
    receiver = await Receiver.start();
    rpc = await calendarBroker(stack);
    const n = await importedNumber(stack, acme, {
      extra: { webhook_url: receiver.url('/acme'), calendar: { api_key: key, event_type_id: '42' } },
    });
    phone = n.phone;
    expect(n.res.body.calendar).toEqual({ event_type_id: '42', time_zone: 'Europe/London' });
  });
  afterAll(async () => {
    await rpc?.close();
    await receiver?.close();
    await stack?.stop();
  });
  afterEach(async () => {
    await calcomAdmin(stack, 'POST', '/faults', { mode: 'none' });
  });

  it('lists free slots in the number time zone, spread over the days and capped', async () => {
    const one = await availability(day, day);
    expect(one.ok).toBe(true);
    expect(one.value!.time_zone).toBe('Europe/London');
    expect(one.value!.slots).toHaveLength(12);
    expect(one.value!.slots[0]).toEqual({
      start: londonTime(day, '09:00'),
      local: expect.stringMatching(/^[A-Z][a-z]+day \d{1,2} [A-Z][a-z]+, 9:00 am$/),
    });

    const week = await availability(day, futureWeekday(14));
    const days = new Set(week.value!.slots.map((s) => s.start.slice(0, 10)));
    expect(week.value!.slots.length).toBeLessThanOrEqual(12);
    expect(days.size).toBeGreaterThan(1);
    const req = ((await calcomAdmin(stack, 'GET', '/requests')) as any[]).find((r) => r.path === '/v2/slots');
    expect(req).toMatchObject({
      api_version: '2024-09-04',
      authorization: true,
      query: { eventTypeId: '42' },
    });
  });

  it('refuses dates it cannot use with words to say, without asking Cal.com', async () => {
    await calcomAdmin(stack, 'DELETE', '/requests');
    for (const [from, to] of [
      ['2020-01-01', '2020-01-02'],
      [day, '2099-01-01'],
      [futureWeekday(10), futureWeekday(8)],
    ]) {
      const r = await availability(from, to);
      expect(r).toMatchObject({ ok: false, error: { code: 'invalid_time', message: expect.any(String) } });
    }
    for (const start of ['tomorrow at ten', '2020-01-01T10:00:00Z']) {
      expect(await book({ start })).toMatchObject({ ok: false, error: { code: 'invalid_time' } });
    }
    expect(await calcomAdmin(stack, 'GET', '/requests')).toEqual([]);
  });

  it('books: recorded as accepted, listed in GET /v1/bookings and sent to the number webhook as booking.created', async () => {
    const r = await book({ start: `${day}T11:00` }); // wall time in the number's zone
    expect(r.ok).toBe(true);
    const b = r.value!;
    expect(b).toMatchObject({
      booking_id: expect.stringMatching(/^bkg_[0-9a-f]{16}$/),
      phone_number: phone,
      contact: '+447700900123',
      call_id: 'call_0123456789abcdef',
      status: 'accepted',
      calcom_uid: expect.any(String),
      start: londonTime(day, '11:00'),
      time_zone: 'Europe/London',
      start_local: expect.stringMatching(/, 11:00 am$/),
      attendee_name: 'Ann Smith',
      attendee_email: 'ann@example.com',
      error_code: null,
    });
    const [made] = (await sandboxBookings()).filter((x) => x.uid === b.calcom_uid);
    expect(made).toMatchObject({
      start: londonTime(day, '11:00'),
      attendees: [{ name: 'Ann Smith', email: 'ann@example.com', phoneNumber: '+447700900123' }],
      bookingFieldsResponses: { notes: 'Check-up' },
    });

    const list = await acme.api.get(`/v1/bookings?call_id=call_0123456789abcdef&status=accepted&limit=10`);
    expect(list.status).toBe(200);
    expect(list.body.data.map((x: any) => x.booking_id)).toContain(b.booking_id);
    expect(documented.responseProblems('GET', '/v1/bookings', 200, list.body)).toEqual([]);
    const byNumber = await acme.api.get(`/v1/bookings?phone_number=${encodeURIComponent(phone)}`);
    expect(byNumber.body.data.map((x: any) => x.booking_id)).toContain(b.booking_id);
    expect((await other.api.get('/v1/bookings')).body).toEqual({ data: [], next_cursor: null });

    const delivered = await waitFor('booking.created at the number webhook', async () =>
      receiver.forEvent(`evt_booking_${b.booking_id}`).length > 0
        ? receiver.forEvent(`evt_booking_${b.booking_id}`)
        : undefined,
    );
    const body = JSON.parse(delivered[0].body);
    expect(delivered[0].path).toBe('/acme');
    expect(body).toMatchObject({
      type: 'booking.created',
      account_id: acme.account_id,
      phone_number: phone,
      data: { ...b, account_id: acme.account_id },
    });
  });

  it('books once per idempotency key, however often and however concurrently it is asked', async () => {
    const idempotency_key = 'call_test:turn:2:tool:call_same';
    const start = londonTime(day, '12:00');
    const [a, b2] = await Promise.all([book({ idempotency_key, start }), book({ idempotency_key, start })]);
    const c = await book({ idempotency_key, start });
    expect(a.ok && b2.ok && c.ok).toBe(true);
    expect(new Set([a.value!.booking_id, b2.value!.booking_id, c.value!.booking_id]).size).toBe(1);
    expect((await sandboxBookings()).filter((x) => x.start === start)).toHaveLength(1);
    const rows = await stack.sql(`SELECT id FROM numbers.bookings WHERE idempotency_key = $1`, [
      idempotency_key,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('a slot taken meanwhile: slot_unavailable with nearby alternatives to say, and a failed record', async () => {
    const start = londonTime(day, '14:00');
    await calcomAdmin(stack, 'POST', '/bookings', { eventTypeId: 42, start });
    const r = await book({ start });
    expect(r.ok).toBe(false);
    expect(r.error!.code).toBe('slot_unavailable');
    expect(r.error!.alternatives).toEqual([
      { start: londonTime(day, '13:30'), local: expect.stringMatching(/1:30 pm$/) },
      { start: londonTime(day, '14:30'), local: expect.stringMatching(/2:30 pm$/) },
      { start: londonTime(day, '15:00'), local: expect.stringMatching(/3:00 pm$/) },
    ]);
    expect(r.error!.message).toBe('That time was just taken. I have 1:30 pm, 2:30 pm or 3:00 pm.');

    const failed = await acme.api.get('/v1/bookings?status=failed');
    expect(failed.body.data[0]).toMatchObject({
      status: 'failed',
      start,
      calcom_uid: null,
      error_code: 'slot_unavailable',
      error_message: r.error!.message,
    });
    expect(documented.responseProblems('GET', '/v1/bookings', 200, failed.body)).toEqual([]);

    // Outside availability (07:00 is before opening): not "taken"; the nearest free times are offered.
    const outside = await book({ start: londonTime(day, '07:00') });
    expect(outside.error).toMatchObject({
      code: 'slot_unavailable',
      message: expect.stringMatching(/^That time isn't available\. I have /),
    });
  });

  it('Cal.com refusing the key (401): calendar_auth_failed, recorded, the key nowhere', async () => {
    const revoked = 'cal_test_revoked_acme_key';
    const n = await importedNumber(stack, acme, {
      extra: { calendar: { api_key: revoked, event_type_id: '42' } },
    });
    const r = await book({ phone_number: n.phone, start: londonTime(day, '09:30') });
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'calendar_auth_failed', message: expect.any(String) },
    });
    const slots = await availability(day, day, acme.account_id, n.phone);
    expect(slots).toMatchObject({ ok: false, error: { code: 'calendar_auth_failed' } });
    const rows = await stack.sql(`SELECT status, error_code FROM numbers.bookings WHERE phone_number = $1`, [
      n.phone,
    ]);
    expect(rows).toEqual([{ status: 'failed', error_code: 'calendar_auth_failed' }]);
    const everything = JSON.stringify([
      r,
      slots,
      await acme.api.get('/v1/bookings'),
      await acme.api.get(`/v1/phone-numbers/${encodeURIComponent(n.phone)}`),
    ]);
    expect(everything).not.toContain(revoked);
    expect(everything).not.toContain(key);
    expect(fs.readFileSync(stack.logFile, 'utf8')).not.toContain(revoked);
  });

  it('Cal.com down, rate limiting or silent: a code and words to say, never an exception', async () => {
    await calcomAdmin(stack, 'POST', '/faults', { mode: 'down' });
    expect(await availability(day, day)).toMatchObject({
      ok: false,
      error: { code: 'calendar_unavailable' },
    });
    const down = await book({ start: londonTime(day, '15:30') });
    expect(down).toMatchObject({
      ok: false,
      error: { code: 'calendar_unavailable', message: expect.stringMatching(/calendar/) },
    });
    await calcomAdmin(stack, 'POST', '/faults', { mode: 'rate_limit', count: 1 });
    expect(await availability(day, day)).toMatchObject({
      ok: false,
      error: { code: 'calendar_rate_limited' },
    });
    await calcomAdmin(stack, 'POST', '/faults', { mode: 'hang', count: 1 });
    expect(await availability(day, day)).toMatchObject({ ok: false, error: { code: 'calendar_timeout' } });
    const rows = await stack.sql(`SELECT status, error_code FROM numbers.bookings WHERE start = $1`, [
      londonTime(day, '15:30'),
    ]);
    expect(rows).toEqual([{ status: 'failed', error_code: 'calendar_unavailable' }]);
  });

  it('another account, or a number without a calendar: calendar_not_configured', async () => {
    expect(await availability(day, day, other.account_id)).toMatchObject({
      ok: false,
      error: { code: 'calendar_not_configured' },
    });
    expect(await book({ account_id: other.account_id })).toMatchObject({
      ok: false,
      error: { code: 'calendar_not_configured' },
    });
    const plain = await importedNumber(stack, acme);
    expect(await availability(day, day, acme.account_id, plain.phone)).toMatchObject({
      ok: false,
      error: { code: 'calendar_not_configured' },
    });
  });

  it('calendar.time_zone: validated on PATCH /v1/phone-numbers, and the times the agent hears follow it', async () => {
    const n = await importedNumber(stack, acme);
    const p = `/v1/phone-numbers/${encodeURIComponent(n.phone)}`;
    const bad = await acme.api.patch(p, {
      calendar: { api_key: key, event_type_id: '42', time_zone: 'Mars/Olympus' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.details).toEqual([
      { field: 'calendar.time_zone', messages: [expect.stringMatching(/IANA/)] },
    ]);

    const ok = await acme.api.patch(p, {
      calendar: { api_key: key, event_type_id: '42', time_zone: 'America/New_York' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.calendar).toEqual({ event_type_id: '42', time_zone: 'America/New_York' });
    const slots = await availability(day, day, acme.account_id, n.phone);
    expect(slots.value!.time_zone).toBe('America/New_York');
    // 09:00 London is 04:00 New York: the first slot of the day is said in New York time.
    expect(slots.value!.slots[0]).toEqual({
      start: londonTime(day, '09:00'),
      local: expect.stringMatching(/, 4:00 am$/),
    });
    // A wall time without an offset is New York time.
    const r = await book({ phone_number: n.phone, start: `${day}T10:00` });
    expect(r.value).toMatchObject({
      start: londonTime(day, '15:00'),
      time_zone: 'America/New_York',
      start_local: expect.stringMatching(/10:00 am$/),
    });
  });
});
