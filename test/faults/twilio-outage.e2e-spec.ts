import { clearFaults, FINAL, recipient, sandboxFaults, sandboxMessages, smsSender } from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';
import { DRILL_ENV, expectEachSentOnceAndFinal, sendMany } from './load';

describe('Twilio misbehaving', () => {
  let stack: Stack;

  beforeAll(async () => {
    // Hundreds of messages from one number: exactly-once through Twilio faults, not pacing (SMS_PACING off).
    stack = await Stack.start({ env: { LOG_LEVEL: 'warn', ...DRILL_ENV } });
  });
  afterAll(() => stack?.stop());

  it('answers 429 and 500 for a while: everything is sent exactly once when it recovers', async () => {
    const sender = await smsSender(stack);
    await sandboxFaults(stack, { api: { status: 429, count: 300, path_contains: '/Messages.json' } });
    const first = await sendMany(sender, 250, 16, { tag: 'r429' });
    await sandboxFaults(stack, { api: { status: 500, count: 300, path_contains: '/Messages.json' } });
    const second = await sendMany(sender, 250, 16, { tag: 'r500' });
    await clearFaults(stack);
    await expectEachSentOnceAndFinal(stack, sender, [...first.accepted, ...second.accepted]);
  });

  it('1,000 status-callback sequences shuffled and duplicated all end in the right final status', async () => {
    const sender = await smsSender(stack);
    await sandboxFaults(stack, { callbacks: { duplicate: true, shuffle: true } });
    const rules: Record<string, string> = {
      '1234': 'delivered',
      '0003': 'undelivered',
      '0006': 'failed',
      '0404': 'sent',
    };
    const endings = Object.keys(rules);
    const { accepted } = await sendMany(sender, 1000, 16, {
      tag: 'shuffle',
      to: (i) => recipient(endings[i % endings.length]),
    });
    expect(accepted).toHaveLength(1000);
    const expected = new Map(accepted.map((a) => [a.id, rules[endings[a.index % endings.length]]]));
    await waitFor(
      'all settled',
      async () => {
        const rows = await stack.sql(`SELECT id, status FROM messaging.messages WHERE id = ANY($1)`, [
          [...expected.keys()],
        ]);
        return rows.every((r) => r.status === expected.get(r.id)) ? rows : undefined;
      },
      180_000,
      500,
    );
    // Give late duplicates time to arrive, then check nothing moved backwards.
    await new Promise((r) => setTimeout(r, 2000));
    const rows = await stack.sql(`SELECT id, status FROM messaging.messages WHERE id = ANY($1)`, [
      [...expected.keys()],
    ]);
    expect(rows.filter((r) => r.status !== expected.get(r.id))).toEqual([]);
    expect(rows.filter((r) => FINAL.includes(r.status) || r.status === 'sent')).toHaveLength(1000);
    expect((await sandboxMessages(stack, { from: sender.from_number })).length).toBe(1000);
    await clearFaults(stack);
  });
});
