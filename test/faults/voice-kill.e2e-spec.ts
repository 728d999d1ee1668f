/**
 * kill -9 of the voice service while calls are up: the calls in flight drop
 * (a WebSocket cannot survive its process), but every call record still
 * reaches a final status (Twilio's status callbacks wait in RabbitMQ for the
 * restarted service; the sweeper asks Twilio about the rest), and no
 * outbound call is placed twice (the dialler reconciles with Twilio before
 * any retry).
 */
import { randomBytes } from 'node:crypto';
import { http } from '../harness/api';
import { Stack, waitFor } from '../harness/stack';
import { sandboxAdmin, smsSender, ukMobile } from '../factories/sms';

const INBOUND = Number(process.env.FAULTS_CALLS ?? 20);
const OUTBOUND = Number(process.env.FAULTS_CALLS ?? 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kill -9 of the voice service while calls are up', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({
      env: { LOG_LEVEL: 'warn', VOICE_SWEEP_AFTER_MS: '3000', RPC_TIMEOUT_MS: '5000' },
    });
    // Slow replies keep calls up long enough to be cut.
    await http('POST', `${stack.llmUrl}/__admin/behaviour`, {
      body: { reply: 'Let me check that for you, one moment please.', token_delay_ms: 100 },
    });
  });
  afterAll(() => stack?.stop());

  it('ends every call record with a final status and places no outbound call twice', async () => {
    const s = await smsSender(stack);
    const callees = Array.from({ length: OUTBOUND }, () => ukMobile('2345'));
    for (const callee of callees) {
      await sandboxAdmin(stack, 'PUT', `/callee-scripts/${encodeURIComponent(callee)}`, {
        steps: [{ say: 'Hello?' }, { silence_ms: 1500 }, { say: 'Are you there?' }],
        then: 'hangup',
      });
    }
    const inbound = await Promise.all(
      Array.from({ length: INBOUND }, () =>
        sandboxAdmin(stack, 'POST', '/calls', {
          from: ukMobile('3456'),
          to: s.from_number,
          script: {
            steps: [{ say: 'Hi there' }, { silence_ms: 1500 }, { say: 'Can I book?' }, { say: 'Thanks' }],
            then: 'hangup',
          },
        }),
      ),
    );
    const outbound = await Promise.all(
      callees.map((to) =>
        s.account.api.post(
          '/v1/calls',
          {
            agent_id: s.agent_id,
            from_number: s.from_number,
            to,
            prompt: 'Remind them of their appointment.',
          },
          { 'idempotency-key': `kill-${randomBytes(6).toString('hex')}` },
        ),
      ),
    );
    for (const r of outbound) expect(r.status).toBe(202);

    await sleep(1200);
    await stack.kill('voice');
    await sleep(1000);
    stack.spawn('voice');
    await stack.waitHealthy(60_000);

    const ids = outbound.map((r) => r.body.call_id as string);
    await waitFor(
      'every call record final',
      async () => {
        const open = await stack.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM voice.calls WHERE account_id = $1 AND (ended_at IS NULL OR status NOT IN ('completed','busy','failed','no-answer','canceled'))`,
          [s.account.account_id],
        );
        return open[0].n === 0;
      },
      120_000,
      500,
    );
    const rows = await stack.sql<{
      id: string;
      direction: string;
      status: string;
      twilio_sid: string | null;
      end_reason: string | null;
    }>(`SELECT id, direction, status, twilio_sid, end_reason FROM voice.calls WHERE account_id = $1`, [
      s.account.account_id,
    ]);
    // Every outbound call accepted is on record, and each was placed at Twilio exactly once.
    expect(
      rows
        .filter((r) => r.direction === 'outbound')
        .map((r) => r.id)
        .sort(),
    ).toEqual([...ids].sort());
    for (const callee of callees) {
      const placed = await sandboxAdmin<any[]>(stack, 'GET', `/calls?to=${encodeURIComponent(callee)}`);
      expect(placed).toHaveLength(1);
    }
    // Inbound calls the engine answered are on record once each (by CallSid).
    const inboundSids = new Set(inbound.map((c) => c.call_sid));
    const recorded = rows.filter((r) => r.direction === 'inbound');
    for (const r of recorded) expect(inboundSids.has(r.twilio_sid)).toBe(true);
    expect(new Set(recorded.map((r) => r.twilio_sid)).size).toBe(recorded.length);
    // The kill really cut calls in flight: their sessions ended without an ending from either side.
    const cut = rows.filter((r) => r.end_reason === 'relay_error' || r.end_reason === 'connection_lost');
    expect(recorded.length).toBeGreaterThan(0);
    expect(cut.length).toBeGreaterThan(0);
    // A caller cut off by the kill heard an apology from webhooks, not silence.
    const reports = await Promise.all(inbound.map((c) => sandboxAdmin(stack, 'GET', `/calls/${c.call_sid}`)));
    const apologised = reports.filter((r: any) =>
      (r.said ?? []).some((w: string) => w.includes('lost the connection')),
    );
    expect(apologised.length).toBeGreaterThan(0);
  });
});
