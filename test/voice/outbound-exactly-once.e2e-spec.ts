import { createTwilioClient } from '../../libs/common/src/twilio/twilio-client';
import { Stack, waitFor } from '../harness/stack';
import {
  Caller,
  FAST_DIAL_ENV,
  callFaults,
  callRequests,
  callee,
  caller,
  clearCallFaults,
  placeCall,
  sandboxCalls,
  waitForCall,
} from './outbound-calls';

/**
 * A call is placed exactly once whatever Twilio's answer: a create that
 * Twilio carried out but whose answer was lost is found and adopted, never
 * placed again; a 429 is retried; a worker that died mid-attempt is
 * reconciled by the next one.
 */
describe('Outbound calls: exactly once through lost answers, retries and a dead worker', () => {
  let stack: Stack;
  let c: Caller;

  beforeAll(async () => {
    // Twilio's call progress (and so its status callbacks and the answer webhook, which would
    // also name the call) slowed down, so that the dialler's own reconciliation is what is tested.
    stack = await Stack.start({
      env: { ...FAST_DIAL_ENV, CALLS_MAX_DIAL_ATTEMPTS: '4', SANDBOX_CALLBACK_DELAY_MS: '1500' },
    });
    c = await caller(stack);
  }, 60_000);
  afterAll(() => stack?.stop());
  afterEach(() => clearCallFaults(stack));

  async function createsTo(to: string) {
    return (await callRequests(stack)).filter((r) => r.method === 'POST' && r.params.To === to);
  }
  async function listsTo(to: string) {
    return (await callRequests(stack)).filter((r) => r.method === 'GET' && r.path.includes(to.slice(1)));
  }

  it.each(['error_after_create', 'timeout_after_create'])(
    'Twilio placed the call but the answer was lost (%s): reconciled and adopted, ONE call',
    async (mode) => {
      await callFaults(stack, { calls_create: { mode, status: 500, count: 1 } });
      const to = callee();
      const res = await placeCall(c, to, { prompt: 'lost answer' });
      expect(res.status).toBe(202);
      const placed = await waitForCall(c, res.body.call_id, (b) => b.twilio_sid !== null);
      const atTwilio = await sandboxCalls(stack, to);
      expect(atTwilio).toHaveLength(1);
      expect(placed.twilio_sid).toBe(atTwilio[0].call_sid);
      // One create (its answer lost), then a list (the reconciliation) instead of a second create.
      expect((await createsTo(to)).map((r) => r.status)).toEqual([mode === 'error_after_create' ? 500 : 0]);
      expect((await listsTo(to)).length).toBeGreaterThan(0);
      const [row] = await stack.sql(`SELECT dispatch_state, attempts FROM voice.calls WHERE id = $1`, [
        res.body.call_id,
      ]);
      expect(row).toEqual({ dispatch_state: 'done', attempts: 2 });
    },
  );

  it('a 5xx that created nothing: the reconciliation finds nothing, the call is created once', async () => {
    await callFaults(stack, { calls_create: { mode: 'error', status: 503, count: 1 } });
    const to = callee();
    const res = await placeCall(c, to);
    const placed = await waitForCall(c, res.body.call_id, (b) => b.twilio_sid !== null);
    const atTwilio = await sandboxCalls(stack, to);
    expect(atTwilio.map((x) => x.call_sid)).toEqual([placed.twilio_sid]);
    expect((await createsTo(to)).map((r) => r.status)).toEqual([503, 201]);
    expect((await listsTo(to)).length).toBeGreaterThan(0);
  });

  it('two calls to the same callee, both answers lost: each adopts its own call', async () => {
    await callFaults(stack, { calls_create: { mode: 'error_after_create', status: 500, count: 2 } });
    const to = callee();
    const a = await placeCall(c, to, { metadata: { n: 1 } });
    const b = await placeCall(c, to, { metadata: { n: 2 } });
    const pa = await waitForCall(c, a.body.call_id, (x) => x.twilio_sid !== null);
    const pb = await waitForCall(c, b.body.call_id, (x) => x.twilio_sid !== null);
    expect(pa.twilio_sid).not.toBe(pb.twilio_sid);
    const atTwilio = await sandboxCalls(stack, to);
    expect(atTwilio.map((x) => x.call_sid).sort()).toEqual([pa.twilio_sid, pb.twilio_sid].sort());
  });

  it('429: retried after a backoff without asking Twilio first, placed once', async () => {
    await callFaults(stack, { api: { status: 429, count: 2, path_contains: '/Calls.json' } });
    const to = callee();
    const res = await placeCall(c, to);
    const placed = await waitForCall(c, res.body.call_id, (b) => b.twilio_sid !== null);
    expect((await sandboxCalls(stack, to)).map((x) => x.call_sid)).toEqual([placed.twilio_sid]);
    expect((await listsTo(to)).length).toBe(0);
    const [row] = await stack.sql(`SELECT attempts FROM voice.calls WHERE id = $1`, [res.body.call_id]);
    expect(row.attempts).toBe(3);
  });

  it('Twilio unreachable past CALLS_MAX_DIAL_ATTEMPTS: failed with twilio_unavailable, nothing placed', async () => {
    await callFaults(stack, { api: { status: 429, count: 50, path_contains: '/Calls.json' } });
    const to = callee();
    const res = await placeCall(c, to);
    const done = await waitForCall(c, res.body.call_id, (b) => b.status === 'failed', 30_000);
    expect(done).toMatchObject({
      error_code: 'twilio_unavailable',
      end_reason: 'dial_failed',
      twilio_sid: null,
    });
    expect(await sandboxCalls(stack, to)).toHaveLength(0);
  });

  it('the number was deleted before dialling: failed with number_not_found, nothing placed', async () => {
    const other = await caller(stack);
    await callFaults(stack, { api: { status: 429, count: 50, path_contains: '/Calls.json' } });
    const to = callee();
    const res = await placeCall(other, to);
    expect(res.status).toBe(202);
    const del = await other.account.api.delete(`/v1/phone-numbers/${encodeURIComponent(other.from_number)}`);
    expect(del.status).toBeLessThan(300);
    await clearCallFaults(stack);
    const done = await waitForCall(other, res.body.call_id, (b) => b.status === 'failed', 30_000);
    expect(done).toMatchObject({ error_code: 'number_not_found', end_reason: 'dial_failed' });
    expect(await sandboxCalls(stack, to)).toHaveLength(0);
  });

  it('a worker died after Twilio placed the call (lease expired, no SID): the next one adopts it', async () => {
    const to = callee();
    // What the dead worker's create did at Twilio...
    const twilio = createTwilioClient(c.twilio.account_sid, c.twilio.auth_token, stack.sandboxUrl);
    const atTwilio = await twilio.calls.create({
      to,
      from: c.from_number,
      url: `${stack.webhooksUrl}/twilio/voice/outbound?call_id=call_00000000000000aa`,
    });
    // ... and the row it left behind: claimed (in_flight, attempt 1), lease run out, no SID.
    await stack.sql(
      `INSERT INTO voice.calls (id, account_id, agent_id, direction, our_number, other_party, from_number,
              to_number, status, status_rank, status_changed_at, dispatch_state, attempts, lease_until,
              next_attempt_at, created_at, updated_at)
       VALUES ('call_00000000000000aa', $1, $2, 'outbound', $3, $4, $3, $4, 'queued', 10, now(), 'in_flight', 1,
               now() - interval '1 second', now() - interval '1 second', now(), now())`,
      [c.account.account_id, c.agent_id, c.from_number, to],
    );
    const adopted = await waitForCall(c, 'call_00000000000000aa', (b) => b.twilio_sid !== null);
    expect(adopted.twilio_sid).toBe(atTwilio.sid);
    expect(await sandboxCalls(stack, to)).toHaveLength(1);
    expect(await createsTo(to)).toHaveLength(1);
    await waitFor('dispatch done', async () => {
      const [row] = await stack.sql(
        `SELECT dispatch_state FROM voice.calls WHERE id = 'call_00000000000000aa'`,
      );
      return row.dispatch_state === 'done';
    });
  });
});
