import { createAccount } from '../factories/accounts';
import { llmRequests } from '../factories/inbound';
import { sandboxAdmin } from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';
import {
  Caller,
  FAST_DIAL_ENV,
  callBody,
  callRequests,
  callee,
  caller,
  placeCall,
  sandboxCalls,
  waitForCall,
} from './outbound-calls';

/**
 * POST /v1/calls over the real API to the sandbox: every refusal with its
 * code (and nothing stored), a call placed once with our Url and
 * StatusCallback, Idempotency-Key, Twilio's refusals, and the reads.
 */
describe('Outbound calls: accept, place, refuse, read', () => {
  let stack: Stack;
  let c: Caller;

  beforeAll(async () => {
    stack = await Stack.start({ env: FAST_DIAL_ENV });
    c = await caller(stack);
  }, 60_000);
  afterAll(() => stack?.stop());

  async function callCount(): Promise<number> {
    const [row] = await stack.sql(`SELECT count(*)::int AS n FROM voice.calls`);
    return row.n;
  }

  describe('each refusal has its own code, in order, and stores nothing', () => {
    const long = (n: number) => 'a'.repeat(n);
    const cases: [string, (x: Caller) => Record<string, unknown>, number, string][] = [
      ['to not E.164', (x) => callBody(x, '07386172392'), 400, 'invalid_phone_format'],
      ['to impossible', (x) => callBody(x, '+44123'), 400, 'invalid_phone_format'],
      [
        'from_number not E.164',
        (x) => ({ ...callBody(x, callee()), from_number: '447446466847' }),
        400,
        'invalid_phone_format',
      ],
      [
        'bad to before a long prompt',
        (x) => callBody(x, 'nope', { prompt: long(8001) }),
        400,
        'invalid_phone_format',
      ],
      [
        'prompt over 8000 characters',
        (x) => callBody(x, callee(), { prompt: long(8001) }),
        400,
        'prompt_too_long',
      ],
      [
        'prompt over 8000 code points (emoji count once)',
        (x) => callBody(x, callee(), { prompt: '😀'.repeat(8001) }),
        400,
        'prompt_too_long',
      ],
      [
        'a long prompt before a long first message',
        (x) => callBody(x, callee(), { prompt: long(8001), first_message: long(1001) }),
        400,
        'prompt_too_long',
      ],
      [
        'first_message over 1000 characters',
        (x) => callBody(x, callee(), { first_message: long(1001) }),
        400,
        'first_message_too_long',
      ],
      [
        'a long first message before large metadata',
        (x) => callBody(x, callee(), { first_message: long(1001), metadata: { blob: long(9000) } }),
        400,
        'first_message_too_long',
      ],
      [
        'metadata over 8192 bytes as JSON',
        (x) => callBody(x, callee(), { metadata: { blob: long(8200) } }),
        400,
        'metadata_too_large',
      ],
      [
        'large metadata before an unknown number',
        (x) => ({
          ...callBody(x, callee(), { metadata: { blob: long(8200) } }),
          from_number: '+447700900123',
        }),
        400,
        'metadata_too_large',
      ],
      [
        'number not imported',
        (x) => ({ ...callBody(x, callee()), from_number: '+447700900123' }),
        404,
        'number_not_found',
      ],
      [
        'unknown agent',
        (x) => ({ ...callBody(x, callee()), agent_id: 'agent_0000000000000000' }),
        404,
        'agent_not_found',
      ],
      ['missing field', (x) => ({ agent_id: x.agent_id, to: callee() }), 400, 'validation_failed'],
      ['wrong type', (x) => callBody(x, callee(), { prompt: 42 }), 400, 'validation_failed'],
      ['metadata not an object', (x) => callBody(x, callee(), { metadata: 'x' }), 400, 'validation_failed'],
      ['unknown field', (x) => callBody(x, callee(), { record: true }), 400, 'validation_failed'],
    ];
    it.each(cases)('%s', async (_name, build, status, code) => {
      const before = await callCount();
      const res = await c.account.api.post('/v1/calls', build(c));
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
      expect(await callCount()).toBe(before);
    });

    it('exactly the limits are accepted (8000 code points of prompt, 1000 of first_message)', async () => {
      const res = await placeCall(c, callee(), {
        prompt: '😀'.repeat(8000),
        first_message: long(1000),
        metadata: { blob: long(8000) },
      });
      expect(res.status).toBe(202);
    });

    it('number attached to another agent of the account: 400 number_not_attached_to_agent', async () => {
      const other = await c.account.api.post('/v1/agents', { name: 'Other agent' });
      const before = await callCount();
      const res = await c.account.api.post('/v1/calls', {
        ...callBody(c, callee()),
        agent_id: other.body.id,
      });
      expect({ status: res.status, code: res.body.error.code }).toEqual({
        status: 400,
        code: 'number_not_attached_to_agent',
      });
      expect(await callCount()).toBe(before);
    });

    it("another account's number is number_not_found, its agent agent_not_found", async () => {
      const stranger = await caller(stack);
      const number = await c.account.api.post('/v1/calls', {
        ...callBody(c, callee()),
        from_number: stranger.from_number,
      });
      expect({ status: number.status, code: number.body.error.code }).toEqual({
        status: 404,
        code: 'number_not_found',
      });
      const agent = await c.account.api.post('/v1/calls', {
        ...callBody(c, callee()),
        agent_id: stranger.agent_id,
      });
      expect({ status: agent.status, code: agent.body.error.code }).toEqual({
        status: 404,
        code: 'agent_not_found',
      });
    });

    it('a malformed Idempotency-Key is refused', async () => {
      const res = await placeCall(c, callee(), {}, { 'idempotency-key': 'x'.repeat(256) });
      expect({ status: res.status, code: res.body.error.code }).toEqual({
        status: 400,
        code: 'validation_failed',
      });
    });
  });

  it('a call with its own prompt: 202 queued, placed once from our number with our Url and StatusCallback', async () => {
    const to = callee();
    const res = await placeCall(c, to, {
      prompt: 'You are calling to confirm tomorrow 10:00 dental appointment.',
      first_message: 'Hi, this is Smile Dental calling about your appointment.',
      metadata: { patient: 'p-42' },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      call_id: expect.stringMatching(/^call_[0-9a-f]{16}$/),
      status: 'queued',
      agent_id: c.agent_id,
      from_number: c.from_number,
      to,
      created_at: expect.any(String),
    });
    const id = res.body.call_id;
    const placed = await waitForCall(c, id, (b) => b.twilio_sid !== null);

    const atTwilio = await sandboxCalls(stack, to);
    expect(atTwilio).toHaveLength(1);
    expect(atTwilio[0]).toMatchObject({
      call_sid: placed.twilio_sid,
      from: c.from_number,
      to,
      direction: 'outbound-api',
      account_sid: c.twilio.account_sid,
    });
    const creates = (await callRequests(stack)).filter((r) => r.method === 'POST' && r.params.To === to);
    expect(creates).toHaveLength(1);
    expect(creates[0].params).toMatchObject({
      From: c.from_number,
      Url: `${stack.webhooksUrl}/twilio/voice/outbound?call_id=${id}`,
      StatusCallback: `${stack.webhooksUrl}/twilio/voice-status?call_id=${id}`,
      StatusCallbackMethod: 'POST',
    });

    const [row] = await stack.sql(
      `SELECT dispatch_state, attempts, twilio_account_sid, our_number, other_party, direction, api_key_id
         FROM voice.calls WHERE id = $1`,
      [id],
    );
    expect(row).toEqual({
      dispatch_state: 'done',
      attempts: 1,
      twilio_account_sid: c.twilio.account_sid,
      our_number: c.from_number,
      other_party: to,
      direction: 'outbound',
      api_key_id: c.account.key_id,
    });
    expect(placed).toMatchObject({
      call_id: id,
      direction: 'outbound',
      phone_number: c.from_number,
      from_number: c.from_number,
      to,
      agent_id: c.agent_id,
      prompt: 'You are calling to confirm tomorrow 10:00 dental appointment.',
      first_message: 'Hi, this is Smile Dental calling about your appointment.',
      metadata: { patient: 'p-42' },
      error_code: null,
    });
    expect(placed.status_history[0]).toMatchObject({ status: 'queued', source: 'api' });

    // The same call by its CallSid.
    const bySid = await c.account.api.get(`/v1/calls/${placed.twilio_sid}`);
    expect(bySid.status).toBe(200);
    expect(bySid.body.call_id).toBe(id);

    // The callee answers: the agent greets with first_message and talks with this call's prompt;
    // Twilio's status callbacks bring the call to its end.
    const ended = await waitForCall(c, id, (b) => b.ended_at !== null, 30_000);
    expect(ended).toMatchObject({ status: 'completed', answered_at: expect.any(String) });
    expect(ended.duration_s).toEqual(expect.any(Number));
    const history = ended.status_history.map((h: any) => [h.status, h.source]);
    expect(history[0]).toEqual(['queued', 'api']);
    expect(history[history.length - 1][0]).toBe('completed');
    expect(history.some(([, source]: string[]) => source === 'twilio_callback')).toBe(true);
    expect(ended.turns[0]).toMatchObject({
      role: 'agent',
      text: 'Hi, this is Smile Dental calling about your appointment.',
    });
    expect(ended.turns.some((t: any) => t.role === 'caller' && t.text === 'Hello?')).toBe(true);
    const [report] = await sandboxCalls(stack, to);
    expect(report.status).toBe('completed');
    const system: string[] = (await llmRequests(stack)).map((r) => r.body.messages[0].content);
    expect(system.some((p) => p.includes('confirm tomorrow 10:00 dental appointment'))).toBe(true);
  });

  it("the create's answer was lost but Twilio's callbacks named the call first: no second create", async () => {
    await sandboxAdmin(stack, 'POST', '/faults', {
      calls_create: { mode: 'error_after_create', status: 500, count: 1 },
    });
    const to = callee();
    const res = await placeCall(c, to);
    const placed = await waitForCall(c, res.body.call_id, (b) => b.twilio_sid !== null);
    const atTwilio = await sandboxCalls(stack, to);
    expect(atTwilio.map((x) => x.call_sid)).toEqual([placed.twilio_sid]);
    await waitForCall(c, res.body.call_id, (b) => b.ended_at !== null, 30_000);
    const creates = (await callRequests(stack)).filter((r) => r.method === 'POST' && r.params.To === to);
    expect(creates.map((r) => r.status)).toEqual([500]);
    const [row] = await stack.sql(`SELECT dispatch_state FROM voice.calls WHERE id = $1`, [res.body.call_id]);
    expect(row.dispatch_state).toBe('done');
  });

  describe('Idempotency-Key', () => {
    it('same key and body: the first answer again, one call placed', async () => {
      const to = callee();
      const headers = { 'idempotency-key': `k-${Date.now()}-same` };
      const first = await placeCall(c, to, { prompt: 'once' }, headers);
      expect(first.status).toBe(202);
      await waitForCall(c, first.body.call_id, (b) => b.twilio_sid !== null);
      const again = await placeCall(c, to, { prompt: 'once' }, headers);
      expect(again.status).toBe(202);
      // Byte for byte, key order included.
      expect(JSON.stringify(again.body)).toBe(JSON.stringify(first.body));
      expect(await stack.sql(`SELECT id FROM voice.calls WHERE to_number = $1`, [to])).toHaveLength(1);
      expect(await sandboxCalls(stack, to)).toHaveLength(1);
    });

    it('same key, different body: 422 idempotency_key_reused and nothing stored', async () => {
      const key = `k-${Date.now()}-reused`;
      const first = await placeCall(c, callee(), { prompt: 'one' }, { 'idempotency-key': key });
      expect(first.status).toBe(202);
      const before = await callCount();
      const second = await placeCall(c, callee(), { prompt: 'two' }, { 'idempotency-key': key });
      expect({ status: second.status, code: second.body.error.code }).toEqual({
        status: 422,
        code: 'idempotency_key_reused',
      });
      expect(await callCount()).toBe(before);
    });

    it('a refused request does not burn its key', async () => {
      const key = `k-${Date.now()}-refused`;
      const bad = await placeCall(c, 'nope', {}, { 'idempotency-key': key });
      expect(bad.status).toBe(400);
      const good = await placeCall(c, callee(), {}, { 'idempotency-key': key });
      expect(good.status).toBe(202);
    });

    it('concurrent duplicates: one call placed; the others replay it or get 409 idempotency_key_in_use', async () => {
      const to = callee();
      const headers = { 'idempotency-key': `k-${Date.now()}-race` };
      const body = callBody(c, to, { prompt: 'race' });
      // Queue them while voice is down so they are consumed together.
      await stack.kill('voice');
      const pending = Array.from({ length: 6 }, () => c.account.api.post('/v1/calls', body, headers));
      await new Promise((r) => setTimeout(r, 500));
      stack.spawn('voice');
      const results = await Promise.all(pending);
      const ok = results.filter((r) => r.status === 202);
      const busy = results.filter((r) => r.status === 409);
      expect(ok.length + busy.length).toBe(results.length);
      expect(ok.length).toBeGreaterThanOrEqual(1);
      for (const r of busy) expect(r.body.error.code).toBe('idempotency_key_in_use');
      expect(new Set(ok.map((r) => r.body.call_id)).size).toBe(1);
      const rows = await stack.sql(`SELECT id FROM voice.calls WHERE to_number = $1`, [to]);
      expect(rows).toHaveLength(1);
      await waitForCall(c, rows[0].id, (b) => b.twilio_sid !== null);
      expect(await sandboxCalls(stack, to)).toHaveLength(1);
    });
  });

  describe("Twilio's refusals end the call failed, dial_failed, with the named error", () => {
    const refusals: [string, string, string][] = [
      ['1211', '21211', "Invalid 'To' number"],
      ['1215', '21215', 'Geo permission disabled for this country'],
      ['3227', '13227', 'No international permission'],
    ];
    it.each(refusals)('callee ...%s: %s', async (rule, code, message) => {
      const to = callee(rule);
      const res = await placeCall(c, to);
      expect(res.status).toBe(202);
      const done = await waitForCall(c, res.body.call_id, (b) => b.status === 'failed');
      expect(done).toMatchObject({
        status: 'failed',
        end_reason: 'dial_failed',
        error_code: code,
        error_message: message,
        twilio_sid: null,
        ended_at: expect.any(String),
      });
      expect(done.status_history.map((h: any) => [h.status, h.source])).toEqual([
        ['queued', 'api'],
        ['failed', 'dialler'],
      ]);
      expect(await sandboxCalls(stack, to)).toHaveLength(0);
      const [row] = await stack.sql(`SELECT dispatch_state, attempts FROM voice.calls WHERE id = $1`, [
        res.body.call_id,
      ]);
      expect(row).toEqual({ dispatch_state: 'failed', attempts: 1 });
      // The end is announced once (call.ended.v1 and the customer's call.ended went through the outbox).
      await waitFor('outbox drained', async () => {
        const [o] = await stack.sql(`SELECT count(*)::int AS n FROM voice.outbox`);
        return o.n === 0;
      });
    });

    it('rejected credentials: 20003 "Twilio credentials rejected"', async () => {
      const other = await caller(stack);
      await sandboxAdmin(stack, 'POST', `/accounts/${other.twilio.account_sid}`, {
        auth_token: 'f'.repeat(32),
      });
      const res = await placeCall(other, callee());
      const done = await waitForCall(other, res.body.call_id, (b) => b.status === 'failed');
      expect(done).toMatchObject({
        error_code: '20003',
        error_message: 'Twilio credentials rejected',
        end_reason: 'dial_failed',
      });
    });
  });

  it('busy and no-answer callees: placed once, ended busy / no-answer by the callbacks', async () => {
    for (const [rule, final] of [
      ['0486', 'busy'],
      ['0487', 'no-answer'],
    ]) {
      const to = callee(rule);
      const res = await placeCall(c, to);
      const ended = await waitForCall(c, res.body.call_id, (b) => b.ended_at !== null, 30_000);
      expect(ended).toMatchObject({ status: final, end_reason: 'not_answered', answered_at: null });
      const atTwilio = await sandboxCalls(stack, to);
      expect(atTwilio.map((x) => [x.call_sid, x.status])).toEqual([[ended.twilio_sid, final]]);
    }
  });

  describe('GET /v1/calls and /v1/calls/:id', () => {
    let mine: Caller;
    const ids: string[] = [];

    beforeAll(async () => {
      const account = await createAccount(stack, 'Lister');
      mine = await caller(stack, account);
      for (let i = 0; i < 4; i++) {
        const res = await placeCall(mine, callee());
        ids.push(res.body.call_id);
      }
      const refused = await placeCall(mine, callee('1211'));
      ids.push(refused.body.call_id);
      await waitForCall(mine, refused.body.call_id, (b) => b.status === 'failed');
    });

    it('pages newest first with a cursor, and every call once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
        const page = await mine.account.api.get(`/v1/calls${q}`);
        expect(page.status).toBe(200);
        expect(page.body.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.data.map((d: any) => d.call_id));
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
    });

    it('filters by status, direction, our number and agent', async () => {
      const failed = await mine.account.api.get('/v1/calls?status=failed');
      expect(failed.body.data.map((d: any) => d.call_id)).toEqual([ids[4]]);
      const outbound = await mine.account.api.get('/v1/calls?direction=outbound&limit=200');
      expect(outbound.body.data).toHaveLength(5);
      const inbound = await mine.account.api.get('/v1/calls?direction=inbound');
      expect(inbound.body.data).toHaveLength(0);
      const byNumber = await mine.account.api.get(
        `/v1/calls?phone_number=${encodeURIComponent(mine.from_number)}`,
      );
      expect(byNumber.body.data).toHaveLength(5);
      const otherNumber = await mine.account.api.get(
        `/v1/calls?phone_number=${encodeURIComponent(c.from_number)}`,
      );
      expect(otherNumber.body.data).toHaveLength(0);
      const byAgent = await mine.account.api.get(`/v1/calls?agent_id=${mine.agent_id}`);
      expect(byAgent.body.data).toHaveLength(5);
      const bad = await mine.account.api.get('/v1/calls?status=ringing-ish');
      expect(bad.body.error.code).toBe('validation_failed');
      const badCursor = await mine.account.api.get('/v1/calls?cursor=nonsense');
      expect(badCursor.body.error.code).toBe('invalid_cursor');
    });

    it("another account's call is 404 call_not_found, by id and by CallSid", async () => {
      const placed = await waitForCall(mine, ids[0], (b) => b.twilio_sid !== null);
      for (const id of [ids[0], placed.twilio_sid, 'call_0000000000000000', `CA${'0'.repeat(32)}`]) {
        const res = await c.account.api.get(`/v1/calls/${id}`);
        expect({ id, status: res.status, code: res.body.error?.code }).toEqual({
          id,
          status: 404,
          code: 'call_not_found',
        });
      }
      for (const odd of ['%00', 'x'.repeat(65), '%C3%A9t%C3%A9']) {
        const res = await c.account.api.get(`/v1/calls/${odd}`);
        expect({ odd, status: res.status, code: res.body.error?.code }).toEqual({
          odd,
          status: 404,
          code: 'call_not_found',
        });
      }
      const list = await c.account.api.get('/v1/calls?limit=200');
      expect(list.body.data.map((d: any) => d.call_id)).not.toContain(ids[0]);
    });
  });
});
