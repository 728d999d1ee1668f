import * as fs from 'node:fs';
import {
  AppError,
  BrokerClient,
  CallerHistoryQuery,
  MessagingCommands,
  TextHistoryEntry,
} from '@nixflex/common';
import { createAccount } from '../factories/accounts';
import { inbound, llmRequests, waitForReplies } from '../factories/inbound';
import { SmsSender, recipient, send, smsSender, waitForSms } from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';
import { StackBroker, brokerFor } from '../factories/broker';

/**
 * Caller history between channels, against a real stack: `sms.caller-history.v1`
 * (the texts a call's prompt is given) asked over RabbitMQ as voice asks it,
 * with texts made through the sandbox's inbound webhooks and the public API;
 * and SMS replies, which ask voice for the caller's calls, still going out
 * unchanged when voice is down.
 */
describe('Caller history: texts for other channels, calls for SMS replies', () => {
  let stack: Stack;
  let s: SmsSender;
  let broker: StackBroker;
  let client: BrokerClient;

  beforeAll(async () => {
    stack = await Stack.start();
    s = await smsSender(stack);
    broker = await brokerFor(stack, 5000);
    client = broker.client;
  }, 60_000);
  afterAll(async () => {
    await broker?.close();
    await stack?.stop();
  });

  const texts = async (q: Partial<CallerHistoryQuery> & { other_party: string }) =>
    (
      await client.request(MessagingCommands.callerHistory, {
        account_id: s.account.account_id,
        our_number: s.from_number,
        ...q,
      })
    ).texts;

  /** Every message of the conversation as stored, oldest first, in the answer's shape. */
  const stored = async (otherParty: string): Promise<(TextHistoryEntry & { id: string })[]> => {
    const rows = await stack.sql<{ id: string; direction: 'inbound' | 'outbound'; body: string; at: Date }>(
      `SELECT id, direction, body, created_at AS at FROM messaging.messages
        WHERE our_number = $1 AND other_party = $2 ORDER BY created_at, id`,
      [s.from_number, otherParty],
    );
    return rows.map((r) => ({ id: r.id, at: r.at.toISOString(), direction: r.direction, body: r.body }));
  };
  const shape = ({ at, direction, body }: TextHistoryEntry): TextHistoryEntry => ({ at, direction, body });

  /** The caller texts `body` and the agent's reply (the `n`th to them) is accepted by Twilio. */
  const caller = async (from: string, body: string, n: number) => {
    await inbound(stack, from, s.from_number, body);
    await waitForReplies(stack, s, from, n);
  };

  /** Waits until no outbound message to `to` is short of a final status. */
  const settled = (to: string) =>
    waitFor(`final statuses to ${to}`, async () => {
      const open = await stack.sql(
        `SELECT 1 FROM messaging.messages WHERE other_party = $1 AND direction = 'outbound'
           AND status NOT IN ('delivered', 'undelivered', 'failed', 'canceled')`,
        [to],
      );
      return open.length === 0 ? true : undefined;
    });

  describe('sms.caller-history.v1', () => {
    const from = recipient();
    let reminderId: string;

    beforeAll(async () => {
      await caller(from, 'one', 1);
      await caller(from, 'two', 2);
      await caller(from, 'three', 3);
      const sent = await send(s, from, 'Reminder: your appointment is tomorrow at 10.');
      expect(sent.status).toBe(202);
      reminderId = sent.body.message_id;
      await waitForSms(s, reminderId, (b) => b.status === 'delivered');
      await settled(from);
    }, 60_000);

    it('answers the newest 5 by default, oldest first, dated, both directions', async () => {
      const all = await stored(from);
      expect(all.map((m) => m.direction)).toEqual([
        'inbound',
        'outbound',
        'inbound',
        'outbound',
        'inbound',
        'outbound',
        'outbound',
      ]);
      const got = await texts({ other_party: from });
      expect(got).toEqual(all.slice(-5).map(shape));
      expect(got.map((t) => t.body)).toEqual([
        'two',
        expect.stringContaining('two'),
        'three',
        expect.stringContaining('three'),
        'Reminder: your appointment is tomorrow at 10.',
      ]);
      expect([...got].sort((a, b) => a.at.localeCompare(b.at))).toEqual(got);
    });

    it('is bounded by limit (1..50) and leaves out exclude_id', async () => {
      const all = await stored(from);
      expect(await texts({ other_party: from, limit: 2 })).toEqual(all.slice(-2).map(shape));
      expect(await texts({ other_party: from, limit: 50 })).toEqual(all.map(shape));
      const withoutReminder = all.filter((m) => m.id !== reminderId);
      expect(await texts({ other_party: from, exclude_id: reminderId })).toEqual(
        withoutReminder.slice(-5).map(shape),
      );
      for (const limit of [0, 51]) {
        const err = await texts({ other_party: from, limit }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe('validation_failed');
      }
    });

    it("is only this account's conversation with this caller", async () => {
      expect(await texts({ other_party: recipient() })).toEqual([]);
      const other = await createAccount(stack, 'Other Co');
      expect(await texts({ other_party: from, account_id: other.account_id })).toEqual([]);
    });

    it('leaves out outbound texts the caller never got (undelivered, failed)', async () => {
      // The sandbox ends every message to ...0003 undelivered and to ...0006 failed.
      for (const [to, status] of [
        [recipient('0003'), 'undelivered'],
        [recipient('0006'), 'failed'],
      ] as const) {
        await caller(to, `Hello, this is ${to}`, 1);
        expect((await send(s, to, 'Your appointment is confirmed.')).status).toBe(202);
        await settled(to);
        const outbound = await stack.sql(
          `SELECT status FROM messaging.messages WHERE other_party = $1 AND direction = 'outbound'`,
          [to],
        );
        expect(outbound.map((r) => r.status)).toEqual([status, status]);
        const got = await texts({ other_party: to });
        expect(got).toEqual([{ at: expect.any(String), direction: 'inbound', body: `Hello, this is ${to}` }]);
      }
    });

    it('cuts a body at 400 characters (code points), marking the cut', async () => {
      const to = recipient();
      await caller(to, '😀'.repeat(450), 1);
      await caller(to, 'b'.repeat(400), 2);
      await settled(to);
      const got = await texts({ other_party: to });
      expect(got.map((t) => t.direction)).toEqual(['inbound', 'outbound', 'inbound', 'outbound']);
      expect(got[0].body).toBe(`${'😀'.repeat(399)}…`);
      expect([...got[0].body]).toHaveLength(400);
      expect(got[2].body).toBe('b'.repeat(400));
    });
  });

  describe("SMS replies and the caller's calls", () => {
    it('still replies, without a CALLER HISTORY section, when voice is not running', async () => {
      await stack.kill('voice');
      const logBefore = fs.statSync(stack.logFile).size;
      const from = recipient();
      await caller(from, 'Can I move my appointment?', 1);

      const reqs = await llmRequests(stack);
      const last = reqs[reqs.length - 1].body;
      // Exactly the prompt SMS replies always had: no history section, nothing waiting on voice.
      expect(last.messages[0]).toEqual({ role: 'system', content: 'You are helpful.' });
      expect(last.messages[0].content).not.toContain('CALLER HISTORY');
      expect(last.messages.slice(1)).toEqual([{ role: 'user', content: 'Can I move my appointment?' }]);

      // Voice was asked, and its silence cost at most the short timeout.
      const log = fs.readFileSync(stack.logFile).subarray(logBefore).toString('utf8');
      expect(log).toMatch(
        /calls of the caller unavailable, answering without: (No answer to voice\.caller-history\.v1 within 400 ms|No service handles voice\.caller-history\.v1)/,
      );
    });
  });
});
