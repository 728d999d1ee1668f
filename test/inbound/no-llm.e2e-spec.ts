import { inbound, llmRequests, waitForInbound } from '../factories/inbound';
import { SmsSender, recipient, sandboxMessages, smsSender } from '../factories/sms';
import { Stack } from '../harness/stack';

describe('Inbound SMS without an LLM configured', () => {
  let stack: Stack;
  let s: SmsSender;

  beforeAll(async () => {
    stack = await Stack.start({ env: { LLM_BASE_URL: '' } });
    s = await smsSender(stack);
  }, 60_000);
  afterAll(() => stack?.stop());

  it('stores the message, sends no reply, and shows why on the message', async () => {
    const from = recipient();
    const res = await inbound(stack, from, s.from_number, 'Anyone there?');
    expect(res.deliveries[0].status).toBe(200);
    const stored = await waitForInbound(stack, s, res.message_sid, (b) => b.error_code !== null);
    expect(stored).toMatchObject({
      direction: 'inbound',
      status: 'received',
      error_code: 'llm_not_configured',
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(await sandboxMessages(stack, { to: from })).toHaveLength(0);
    expect(await llmRequests(stack)).toHaveLength(0);
    expect(stack.logTail(100_000)).toContain('LLM_BASE_URL is not set');
  });
});
