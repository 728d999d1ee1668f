import { smsSender } from '../factories/sms';
import { ProcessName, Stack } from '../harness/stack';
import { DRILL_ENV, expectEachSentOnceAndFinal, sendMany } from './load';

const IN_FLIGHT = Number(process.env.FAULTS_MESSAGES ?? 2000);

describe('kill -9 each service while messages are in flight', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start({
      // Thousands of messages from one number: exactly-once under kills, not pacing or rate limits.
      env: {
        LOG_LEVEL: 'warn',
        RPC_TIMEOUT_MS: '5000',
        SMS_STATUS_RECONCILE_AFTER_MS: '3000',
        ...DRILL_ENV,
      },
    });
  });
  afterAll(() => stack?.stop());

  it.each<ProcessName>(['messaging', 'webhooks', 'numbers', 'gateway'])(
    'loses nothing and sends nothing twice when %s dies and restarts',
    async (victim) => {
      const sender = await smsSender(stack);
      let killed = false;
      const load = sendMany(sender, IN_FLIGHT, 32, {
        tag: victim,
        onProgress: (n) => {
          if (!killed && n >= IN_FLIGHT / 4) {
            killed = true;
            void stack.kill(victim).then(() => setTimeout(() => stack.spawn(victim), 1000));
          }
        },
      });
      const { accepted } = await load;
      expect(killed).toBe(true);
      expect(accepted.length).toBe(IN_FLIGHT);
      await stack.waitHealthy(60_000);
      await expectEachSentOnceAndFinal(stack, sender, accepted);
    },
  );
});
