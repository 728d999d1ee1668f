/**
 * The drain drill: SIGTERM (what Docker and Kubernetes send) to each service
 * in turn while SMS are accepted at full speed. Each must stop within 10 s by
 * draining (not by its DRAIN_TIMEOUT_MS bound, which exits 1), and every
 * message the API accepted must reach Twilio exactly once.
 */
import { smsSender } from '../factories/sms';
import { ProcessName, Stack } from '../harness/stack';
import { DRILL_ENV, expectEachSentOnceAndFinal, sendMany } from './load';

const MESSAGES = Number(process.env.FAULTS_DRAIN_MESSAGES ?? 200);
/** Where each service answers its probes: its HTTP port, or numbers' and messaging's metrics port. */
const PROBE_PORT: Record<string, keyof Stack['ports']> = {
  gateway: 'gateway',
  webhooks: 'webhooks',
  voice: 'voice',
  numbers: 'numbersMetrics',
  messaging: 'messagingMetrics',
};

interface Probe {
  ready: number;
  live: number;
}

/** One look at a service's probes (0: no answer). */
async function probe(port: number): Promise<Probe> {
  const status = (path: string) =>
    fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(500) }).then(
      (r) => r.status,
      () => 0,
    );
  const [ready, live] = await Promise.all([status('/health/ready'), status('/health/live')]);
  return { ready, live };
}

describe('SIGTERM drains each service under load', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({
      env: { RPC_TIMEOUT_MS: '5000', ...DRILL_ENV },
    });
  });
  afterAll(() => stack?.stop());

  it.each<ProcessName>(['messaging', 'webhooks', 'numbers', 'voice', 'gateway'])(
    '%s stops within 10 s by draining, and loses and duplicates nothing',
    async (victim) => {
      const sender = await smsSender(stack);
      const port = stack.ports[PROBE_PORT[victim]];
      expect(await probe(port)).toEqual({ ready: 200, live: 200 });
      let stopped: ReturnType<Stack['terminate']> | undefined;
      const seen: Probe[] = [];
      const load = sendMany(sender, MESSAGES, 16, {
        tag: `drain-${victim}`,
        onProgress: (n) => {
          if (stopped || n < MESSAGES / 4) return;
          stopped = stack.terminate(victim);
          // Readiness says 503 while the process still serves (liveness 200), before it stops.
          void (async () => {
            for (let i = 0; i < 40; i++) seen.push(await probe(port));
          })();
          void stopped.then(() => stack.spawn(victim));
        },
      });
      const { accepted } = await load;
      expect(stopped).toBeDefined();
      const exit = await stopped!;
      expect(exit.ms).toBeLessThan(10_000);
      // A drained process is ended by the re-raised SIGTERM; the drain bound would exit 1.
      expect(exit).toMatchObject({ code: null, signal: 'SIGTERM' });
      expect(seen).toContainEqual({ ready: 503, live: 200 });
      expect(accepted.length).toBe(MESSAGES);
      await stack.waitHealthy(60_000);
      await expectEachSentOnceAndFinal(stack, sender, accepted);
    },
  );
});
