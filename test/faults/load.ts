import { randomUUID } from 'node:crypto';
import { FINAL, SmsSender, sandboxMessages } from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';

/**
 * The drills' stacks send thousands of requests with one API key at full
 * speed: they measure exactly-once under faults, not pacing or the API rate
 * limits (test/timing and test/foundation/rate-limits do), so both are lifted.
 */
export const DRILL_ENV = {
  SMS_PACING: 'off',
  RATE_LIMIT_KEY_PER_WINDOW: '100000000',
  RATE_LIMIT_ACCOUNT_PER_WINDOW: '100000000',
};

export interface Accepted {
  /** Which of the n messages this is (accepts complete out of order). */
  index: number;
  id: string;
  body: string;
}

/**
 * Sends `n` messages with `concurrency` clients that behave like a careful
 * integrator: every message has its own Idempotency-Key, and a request that
 * failed without a definite answer (connection error, 5xx) is retried with
 * the same key until it gets one. Returns what the API accepted (202).
 */
export async function sendMany(
  sender: SmsSender,
  n: number,
  concurrency: number,
  opts: { to?: (i: number) => string; onProgress?: (accepted: number) => void; tag?: string } = {},
): Promise<{ accepted: Accepted[]; refusals: Record<number, number> }> {
  const accepted: Accepted[] = [];
  const refusals: Record<number, number> = {};
  let next = 0;
  const tag = opts.tag ?? randomUUID().slice(0, 8);
  async function worker(): Promise<void> {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const body = `drill ${tag} #${i}`;
      const key = randomUUID();
      const started = Date.now();
      for (;;) {
        const res = await sender.account.api
          .post(
            '/v1/sms',
            {
              agent_id: sender.agent_id,
              from_number: sender.from_number,
              to: opts.to?.(i) ?? '+447700900555',
              message: body,
            },
            { 'idempotency-key': key },
          )
          .catch(() => ({ status: 0, body: undefined as any }));
        if (res.status === 202) {
          accepted.push({ index: i, id: res.body.message_id, body });
          opts.onProgress?.(accepted.length);
          break;
        }
        refusals[res.status] = (refusals[res.status] ?? 0) + 1;
        // 409: the same key still in progress; 429: rate limited. Both are answered by retrying.
        if (res.status >= 400 && res.status < 500 && res.status !== 409 && res.status !== 429) break;
        // A dependency that never comes back (a service died) fails the drill here, not at jest's timeout.
        if (Date.now() - started > 120_000)
          throw new Error(`message ${i} not accepted in 120 s (last ${res.status})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { accepted, refusals };
}

/** Every accepted message reached Twilio exactly once and ended in a final status. */
export async function expectEachSentOnceAndFinal(
  stack: Stack,
  sender: SmsSender,
  accepted: Accepted[],
  timeoutMs = 240_000,
): Promise<void> {
  await waitFor(
    'every accepted message final',
    async () => {
      const [{ n }] = await stack.sql(
        `SELECT count(*)::int AS n FROM messaging.messages WHERE id = ANY($1) AND status = ANY($2)`,
        [accepted.map((a) => a.id), FINAL],
      );
      return n === accepted.length;
    },
    timeoutMs,
    500,
  );
  const received = await sandboxMessages(stack, { from: sender.from_number });
  const counts = new Map<string, number>();
  for (const m of received) counts.set(m.body, (counts.get(m.body) ?? 0) + 1);
  const missing = accepted.filter((a) => !counts.has(a.body));
  const duplicated = [...counts.entries()].filter(([, c]) => c > 1);
  expect({ missing: missing.length, duplicated: duplicated.length }).toEqual({ missing: 0, duplicated: 0 });
  const acceptedBodies = new Set(accepted.map((a) => a.body));
  // Nothing reached Twilio that the API did not accept.
  expect(received.filter((m) => !acceptedBodies.has(m.body))).toEqual([]);
}
