import type { BrokerClient } from '../broker/broker-client';
import { AppError } from '../errors';
import { calendarTools } from './calendar-tools';

const ctx = {
  account_id: 'acct_0123456789abcdef',
  phone_number: '+447446466847',
  contact: '+447700900123',
  time_zone: 'Europe/London',
  source: { call_id: 'call_1' },
  keyPrefix: 'call_1:turn:3',
};

function setup(answer: (key: string, payload: any) => Promise<unknown>) {
  const request = jest.fn(answer);
  const broker = { request } as unknown as BrokerClient;
  const [check, book] = calendarTools(broker, ctx, { timeoutMs: 1234 });
  return { request, check, book };
}

const run = (
  tool: { run: (a: Record<string, unknown>, c: { toolCallId: string }) => Promise<string> },
  args: Record<string, unknown>,
) => tool.run(args, { toolCallId: 'tc_1' }).then((s) => JSON.parse(s));

describe('calendarTools', () => {
  it('offers check_availability and book_appointment with JSON-schema parameters', () => {
    const { check, book } = setup(async () => ({}));
    expect(check.spec.name).toBe('check_availability');
    expect(check.spec.parameters).toMatchObject({ required: ['from_date', 'to_date'] });
    expect(book.spec.name).toBe('book_appointment');
    expect(book.spec.parameters).toMatchObject({ required: ['start', 'name'] });
    expect(book.spec.description).toContain('Europe/London');
  });

  it.each([
    [{ from_date: 'tomorrow', to_date: '2026-12-04' }],
    [{ from_date: '2026-02-30', to_date: '2026-03-01' }],
    [{ from_date: '2026-12-05', to_date: '2026-12-04' }],
    [{}],
    [{ from_date: 20261203 }],
  ])('refuses bad dates %j with words to say, without an RPC', async (args) => {
    const { request, check } = setup(async () => ({}));
    const out = await run(check, args);
    expect(out).toMatchObject({ ok: false, error: 'invalid_time' });
    expect(typeof out.say).toBe('string');
    expect(request).not.toHaveBeenCalled();
  });

  it('refuses a range longer than two weeks without an RPC', async () => {
    const { request, check } = setup(async () => ({}));
    const out = await run(check, { from_date: '2026-12-01', to_date: '2026-12-31' });
    expect(out).toMatchObject({ ok: false, error: 'invalid_time', say: expect.stringMatching(/two weeks/) });
    expect(request).not.toHaveBeenCalled();
  });

  it('asks the numbers service for slots, with a timeout that drops the ask, and passes them on', async () => {
    const slots = [{ start: '2026-12-03T09:00:00.000Z', local: 'Thursday 3 December, 9:00 am' }];
    const { request, check } = setup(async () => ({
      ok: true,
      value: { time_zone: 'Europe/London', slots },
    }));
    const out = await run(check, { from_date: '2026-12-03', to_date: '2026-12-03' });
    expect(out).toEqual({ ok: true, time_zone: 'Europe/London', slots });
    expect(request).toHaveBeenCalledWith(
      'calendar.availability.v1',
      {
        account_id: ctx.account_id,
        phone_number: ctx.phone_number,
        from_date: '2026-12-03',
        to_date: '2026-12-03',
      },
      { timeoutMs: 1234, expireWithTimeout: true },
    );
  });

  it.each([
    [{ start: 'next tuesday', name: 'Ann' }, 'invalid_time'],
    [{ start: '', name: 'Ann' }, 'invalid_time'],
    [{ name: 'Ann' }, 'invalid_time'],
    [{ start: '2026-12-03T09:00', name: '  ' }, 'invalid_arguments'],
    [{ start: '2026-12-03T09:00', name: 'Ann', email: 'not an email' }, 'invalid_arguments'],
  ])('refuses bad booking arguments %j without an RPC', async (args, error) => {
    const { request, book } = setup(async () => ({}));
    const out = await run(book, args);
    expect(out).toMatchObject({ ok: false, error });
    expect(typeof out.say).toBe('string');
    expect(request).not.toHaveBeenCalled();
  });

  it('books with the idempotency key of this tool call and the conversation as source', async () => {
    const { request, book } = setup(async () => ({
      ok: true,
      value: {
        booking_id: 'bkg_1',
        start: '2026-12-03T09:00:00.000Z',
        start_local: 'Thursday 3 December, 9:00 am',
        time_zone: 'Europe/London',
      },
    }));
    const out = await run(book, { start: '2026-12-03T09:00', name: 'Ann Smith', email: 'ann@example.com' });
    expect(out).toEqual({
      ok: true,
      booking_id: 'bkg_1',
      start: '2026-12-03T09:00:00.000Z',
      local: 'Thursday 3 December, 9:00 am',
      time_zone: 'Europe/London',
    });
    expect(request.mock.calls[0][1]).toMatchObject({
      idempotency_key: 'call_1:turn:3:tool:tc_1',
      start: '2026-12-03T09:00',
      name: 'Ann Smith',
      email: 'ann@example.com',
      contact: ctx.contact,
      source: { call_id: 'call_1', message_id: null },
    });
  });

  it("passes the service's sayable error and alternatives on", async () => {
    const alternatives = [{ start: '2026-12-03T10:30:00.000Z', local: 'Thursday 3 December, 10:30 am' }];
    const { book } = setup(async () => ({
      ok: false,
      error: {
        code: 'slot_unavailable',
        message: 'That time was just taken. I have 10:30 am.',
        alternatives,
      },
    }));
    expect(await run(book, { start: '2026-12-03T09:00:00Z', name: 'Ann' })).toEqual({
      ok: false,
      error: 'slot_unavailable',
      say: 'That time was just taken. I have 10:30 am.',
      alternatives,
    });
  });

  it('turns an RPC timeout or failure into calendar_unavailable, never a throw', async () => {
    const { check, book } = setup(async () => {
      throw new AppError('upstream_timeout', 'No answer');
    });
    for (const out of [
      await run(check, { from_date: '2026-12-03', to_date: '2026-12-04' }),
      await run(book, { start: '2026-12-03T09:00:00Z', name: 'Ann' }),
    ]) {
      expect(out).toMatchObject({
        ok: false,
        error: 'calendar_unavailable',
        say: expect.stringMatching(/can't reach the calendar/),
      });
    }
  });
});
