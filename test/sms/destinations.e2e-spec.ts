import { AppError, MessagingCommands, newId } from '@nixflex/common';
import { cli } from '../factories/accounts';
import { inbound, waitForReplies } from '../factories/inbound';
import { SmsSender, recipient, send, smsSender } from '../factories/sms';
import { http } from '../harness/api';
import { Stack, waitFor } from '../harness/stack';
import { brokerFor } from '../factories/broker';
import { Documented } from '../openapi/documented';

let usSeq = Math.floor(Math.random() * 80);
/** A unique valid US number (+1 415 5xx 1234; 1234 is the sandbox's "delivered" rule). */
function usNumber(): string {
  usSeq = (usSeq + 1) % 80;
  return `+1415${520 + usSeq}1234`;
}

describe('SMS destinations: allowed_destination_countries', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start();
  }, 60_000);
  afterAll(() => stack?.stop());

  async function storedTo(to: string): Promise<number> {
    const [row] = await stack.sql(`SELECT count(*)::int AS n FROM messaging.messages WHERE to_number = $1`, [
      to,
    ]);
    return row.n;
  }

  /** Settings reach messaging by event; sends until one is accepted (or gives up). */
  async function sendOnceAllowed(s: SmsSender, to: string) {
    return waitFor(
      `send to ${to} accepted`,
      async () => {
        const res = await send(s, to);
        return res.status === 202 ? res : undefined;
      },
      20_000,
      200,
    );
  }

  it('GET returns the defaults for an account that never changed them', async () => {
    const s = await smsSender(stack);
    const res = await s.account.api.get('/v1/account/settings');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      allowed_destination_countries: ['GB'],
      quiet_hours: { start: '21:00', end: '09:00' },
      respect_quiet_hours_default: false,
      monthly_token_budget: null,
      updated_at: null,
    });
  });

  it('refuses a US number by default with the code, message and details, and stores nothing', async () => {
    const s = await smsSender(stack);
    const to = usNumber();
    const res = await send(s, to);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('destination_not_allowed');
    expect(res.body.error.message).toBe(
      `\`to\` ${to} is in US; this account may send to: GB. ` +
        'Change allowed_destination_countries in the account settings.',
    );
    expect(res.body.error.details).toEqual({ country: 'US', allowed: ['GB'] });
    expect(await storedTo(to)).toBe(0);
    // UK numbers still go.
    expect((await send(s, recipient())).status).toBe(202);
  });

  it('PATCH adding US lets US numbers through; the other settings stay', async () => {
    const s = await smsSender(stack);
    const patched = await s.account.api.patch('/v1/account/settings', {
      allowed_destination_countries: ['gb', 'US', 'US'],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      allowed_destination_countries: ['GB', 'US'],
      quiet_hours: { start: '21:00', end: '09:00' },
      respect_quiet_hours_default: false,
    });
    expect(typeof patched.body.updated_at).toBe('string');
    const to = usNumber();
    await sendOnceAllowed(s, to);
    expect(await storedTo(to)).toBe(1);

    const again = await s.account.api.patch('/v1/account/settings', {
      quiet_hours: { start: '20:30', end: '08:00' },
      respect_quiet_hours_default: true,
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      allowed_destination_countries: ['GB', 'US'],
      quiet_hours: { start: '20:30', end: '08:00' },
      respect_quiet_hours_default: true,
    });
    expect((await s.account.api.get('/v1/account/settings')).body).toEqual(again.body);
  });

  it('a narrower list applies too: removing GB refuses UK numbers', async () => {
    const s = await smsSender(stack);
    expect(
      (await s.account.api.patch('/v1/account/settings', { allowed_destination_countries: ['IE'] })).status,
    ).toBe(200);
    const to = recipient();
    const refused = await waitFor(
      'UK refused',
      async () => {
        const res = await send(s, to);
        return res.status === 422 ? res : undefined;
      },
      20_000,
      200,
    );
    expect(refused.body.error.details).toEqual({ country: 'GB', allowed: ['IE'] });
    expect(await storedTo(to)).toBe(0);
  });

  it.each([
    ['unknown country', { allowed_destination_countries: ['XX'] }, 'allowed_destination_countries'],
    ['empty list', { allowed_destination_countries: [] }, 'allowed_destination_countries'],
    ['not a list', { allowed_destination_countries: 'GB' }, 'allowed_destination_countries'],
    ['too many', { allowed_destination_countries: Array(251).fill('GB') }, 'allowed_destination_countries'],
    ['bad time', { quiet_hours: { start: '25:00', end: '09:00' } }, 'quiet_hours.start'],
    ['not boolean', { respect_quiet_hours_default: 'yes' }, 'respect_quiet_hours_default'],
    ['unknown field', { colour: 'red' }, 'colour'],
  ])('PATCH refuses %s with validation_failed naming the field', async (_name, body, field) => {
    const s = await smsSender(stack);
    const res = await s.account.api.patch('/v1/account/settings', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect((await s.account.api.get('/v1/account/settings')).body.updated_at).toBeNull();
  });

  it('never answers 5xx to odd settings bodies', async () => {
    const s = await smsSender(stack);
    const odd: unknown[] = [
      null,
      [],
      'GB',
      42,
      { allowed_destination_countries: null },
      { allowed_destination_countries: [null] },
      { allowed_destination_countries: [['GB']] },
      { allowed_destination_countries: [42] },
      { allowed_destination_countries: ['G'.repeat(10_000)] },
      { quiet_hours: null },
      { quiet_hours: '21:00' },
      { quiet_hours: { start: '21:00' } },
      { quiet_hours: { start: '21:00', end: '09:00', extra: 1 } },
      { respect_quiet_hours_default: null },
    ];
    for (const body of odd) {
      const res = await s.account.api.patch('/v1/account/settings', body);
      expect({ body, status: res.status < 500 }).toEqual({ body, status: true });
      if (res.status >= 400) expect(typeof res.body.error.code).toBe('string');
    }
    // An empty change (`{}`) answers the settings and writes nothing.
    const empty = await s.account.api.patch('/v1/account/settings', {});
    expect(empty.status).toBe(200);
    expect(empty.body.updated_at).toBeNull();
    expect((await s.account.api.get('/v1/account/settings')).body.updated_at).toBeNull();
  });

  it('the CLI changes the settings, and messaging follows', async () => {
    const s = await smsSender(stack);
    const { stdout } = await cli(
      stack,
      'account:settings',
      '--account',
      s.account.account_id,
      '--allowed-destination-countries',
      'GB,US',
      '--quiet-hours',
      '22:00-08:00',
    );
    expect(JSON.parse(stdout.trim())).toMatchObject({
      allowed_destination_countries: ['GB', 'US'],
      quiet_hours: { start: '22:00', end: '08:00' },
    });
    expect((await s.account.api.get('/v1/account/settings')).body.allowed_destination_countries).toEqual([
      'GB',
      'US',
    ]);
    await sendOnceAllowed(s, usNumber());
  });

  it('the CLI refuses an unknown country', async () => {
    const s = await smsSender(stack);
    await expect(
      cli(
        stack,
        'account:settings',
        '--account',
        s.account.account_id,
        '--allowed-destination-countries',
        'ZZ',
      ),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('validation_failed') });
  });

  it('answers as the OpenAPI document says (settings and the refusal)', async () => {
    const doc = new Documented((await http('GET', `${stack.gatewayUrl}/openapi.json`)).body);
    const s = await smsSender(stack);
    const check = async (method: string, path: string, body?: unknown) => {
      const res = await s.account.api.request(method, path, body);
      expect(doc.responseProblems(method, path, res.status, res.body)).toEqual([]);
      return res.status;
    };
    expect(await check('GET', '/v1/account/settings')).toBe(200);
    expect(await check('PATCH', '/v1/account/settings', { allowed_destination_countries: ['XX'] })).toBe(400);
    expect(
      await check('POST', '/v1/sms', {
        agent_id: s.agent_id,
        from_number: s.from_number,
        to: usNumber(),
        message: 'hi',
      }),
    ).toBe(422);
    expect(
      await check('PATCH', '/v1/account/settings', { allowed_destination_countries: ['GB', 'FR'] }),
    ).toBe(200);
  });

  it('refuses an SMS a call asks for (sms.call-send.v1) to a US number the same way', async () => {
    const s = await smsSender(stack);
    const broker = await brokerFor(stack);
    try {
      const callId = newId('call');
      const to = usNumber();
      const err = await broker.client
        .request(MessagingCommands.callSmsSend, {
          account_id: s.account.account_id,
          agent_id: s.agent_id,
          call_id: callId,
          from_number: s.from_number,
          to,
          message: 'Your booking is confirmed.',
          source: 'in_call',
          idempotency_key: `${callId}:turn:1:sms:0`,
        })
        .then(
          () => {
            throw new Error('expected a refusal');
          },
          (e: unknown) => e as AppError,
        );
      expect(err).toMatchObject({
        code: 'destination_not_allowed',
        details: { country: 'US', allowed: ['GB'] },
      });
      expect(await storedTo(to)).toBe(0);
    } finally {
      await broker.close();
    }
  });

  it('an agent still replies to a US texter (answering someone who wrote to us)', async () => {
    const s = await smsSender(stack);
    const from = usNumber();
    await inbound(stack, from, s.from_number, 'Hello from New York');
    const [reply] = await waitForReplies(stack, s, from, 1);
    expect(reply.to).toBe(from);
  });
});
