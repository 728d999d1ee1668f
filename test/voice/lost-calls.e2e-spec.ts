import { ukMobile, sandboxAdmin } from '../factories/sms';
import { VoiceLine, callRecord, callSid, callTurns, postTwilio, voiceLine } from '../factories/voice';
import { Stack, waitFor } from '../harness/stack';

/**
 * Calls whose end never reaches us: the sweeper asks Twilio about calls whose
 * status has not moved for VOICE_SWEEP_AFTER_MS; a call that would go on
 * forever ends at VOICE_MAX_CALL_MS; and a voice process told to stop says
 * goodbye to its live calls before it goes.
 */
describe('Calls that lose their end', () => {
  let stack: Stack;
  let line: VoiceLine;

  beforeAll(async () => {
    stack = await Stack.start({ env: { VOICE_SWEEP_AFTER_MS: '1000', VOICE_MAX_CALL_MS: '4000' } });
    line = await voiceLine(stack);
  }, 60_000);
  afterAll(() => stack?.stop());

  const sandboxCall = (sid: string) => sandboxAdmin(stack, 'GET', `/calls/${sid}`);

  it('ends a call Twilio does not know as failed, connection_lost', async () => {
    const sid = callSid();
    const params = {
      CallSid: sid,
      AccountSid: line.twilio.account_sid,
      From: ukMobile(),
      To: line.phone,
      CallStatus: 'ringing',
      Direction: 'inbound',
    };
    expect((await postTwilio(stack, '/twilio/voice', params, line.twilio.auth_token)).status).toBe(200);
    const call = await callRecord(stack, sid, (c) => c.ended_at !== null);
    expect(call).toMatchObject({
      status: 'failed',
      end_reason: 'connection_lost',
      error_code: 'connection_lost',
    });
    const history = await stack.sql(
      `SELECT status, source FROM voice.call_status_history WHERE call_id = $1 ORDER BY id`,
      [call.id],
    );
    expect(history[history.length - 1]).toEqual({ status: 'failed', source: 'sweeper' });
  });

  it("applies Twilio's final status and duration when the callbacks were lost", async () => {
    const placed = await sandboxAdmin(stack, 'POST', '/calls', {
      from: ukMobile(),
      to: line.phone,
      script: { steps: [{ silence_ms: 1500 }, { say: 'Hello?' }] },
    });
    await callRecord(stack, placed.call_sid, (c) => c.status === 'in-progress');
    // The callbacks (relay end, status) have nowhere to go.
    await stack.kill('webhooks');
    const report = await waitFor('the call to end', async () => {
      const r = await sandboxCall(placed.call_sid);
      return r.status === 'completed' ? r : undefined;
    });
    expect(report.status_callbacks.every((c: any) => c.http_status === 0)).toBe(true);
    const call = await callRecord(stack, placed.call_sid, (c) => c.ended_at !== null);
    expect(call).toMatchObject({ status: 'completed', duration_s: report.duration });
    const history = await stack.sql(
      `SELECT status, source FROM voice.call_status_history WHERE call_id = $1 ORDER BY id`,
      [call.id],
    );
    expect(history[history.length - 1]).toEqual({ status: 'completed', source: 'sweeper' });
    stack.spawn('webhooks');
    // Health over RabbitMQ answers before the HTTP port listens: wait for the port too.
    await stack.waitHealthy();
    await stack.waitHttp(`${stack.webhooksUrl}/health`);
  }, 40_000);

  it('ends a call politely at VOICE_MAX_CALL_MS', async () => {
    const report = await sandboxAdmin(stack, 'POST', '/calls', {
      from: ukMobile(),
      to: line.phone,
      wait: true,
      script: { steps: [{ say: 'Hello.' }, { silence_ms: 20_000 }], then: 'wait_for_end' },
    });
    const turns = report.relay.turns;
    expect(turns[turns.length - 1].text).toBe(
      "I'm sorry, we've reached the time limit for this call. Please call back if you need anything else. Goodbye.",
    );
    expect(JSON.parse(report.relay.handoff_data)).toEqual({ reason: 'max_duration' });
    expect(report.duration).toBeGreaterThanOrEqual(4);
    expect(report.duration).toBeLessThan(8);
    const call = await callRecord(stack, report.call_sid, (c) => c.ended_at !== null);
    expect(call).toMatchObject({ status: 'completed', end_reason: 'max_duration' });
  }, 30_000);

  it('says goodbye to live calls when voice is told to stop', async () => {
    const placed = await sandboxAdmin(stack, 'POST', '/calls', {
      from: ukMobile(),
      to: line.phone,
      script: { steps: [{ say: 'Hello.' }, { silence_ms: 20_000 }], then: 'wait_for_end' },
    });
    const live = await callRecord(stack, placed.call_sid, (c) => c.status === 'in-progress');
    await waitFor(
      'the agent to answer',
      async () => (await callTurns(stack, live.id)).length >= 3 || undefined,
    );
    await stack.kill('voice', 'SIGTERM');
    const report = await waitFor('the call to end', async () => {
      const r = await sandboxCall(placed.call_sid);
      return r.status === 'completed' ? r : undefined;
    });
    const turns = report.relay.turns;
    expect(turns[turns.length - 1].text).toBe(
      'Sorry, I have to go now. Please call back in a few minutes. Goodbye.',
    );
    expect(JSON.parse(report.relay.handoff_data)).toEqual({ reason: 'shutdown' });
    const [call] = await stack.sql(`SELECT end_reason FROM voice.calls WHERE id = $1`, [live.id]);
    expect(call.end_reason).toBe('agent_ended');
    expect((await callTurns(stack, live.id)).pop()?.text).toContain('I have to go now');
  }, 40_000);
});
