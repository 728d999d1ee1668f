import { inbound, llmRequests, waitForInbound, waitForReplies } from '../factories/inbound';
import { SmsSender, recipient, sandboxMessages, send, smsSender } from '../factories/sms';
import { Stack, waitFor } from '../harness/stack';

describe('Inbound SMS: STOP, START, YES and HELP', () => {
  let stack: Stack;
  let s: SmsSender;

  beforeAll(async () => {
    stack = await Stack.start();
    s = await smsSender(stack);
    await s.account.api.patch(`/v1/phone-numbers/${encodeURIComponent(s.from_number)}`, {
      custom_prompt: 'Acme Dental, call 020 7946 0000.',
    });
  }, 60_000);
  afterAll(() => stack?.stop());

  const llmCount = async () => (await llmRequests(stack)).length;

  it('STOP opts out (send refused 422), START opts back in (send accepted); neither reaches the LLM', async () => {
    const from = recipient();
    const before = await llmCount();
    const stop = await inbound(stack, from, s.from_number, '  stop ');
    await waitForInbound(stack, s, stop.message_sid);
    await waitFor('opt-out listed', async () => {
      const res = await s.account.api.get(`/v1/opt-outs?phone_number=${encodeURIComponent(s.from_number)}`);
      return res.body.data.find((o: any) => o.recipient === from);
    });
    const list = await s.account.api.get('/v1/opt-outs');
    expect(list.body.data.find((o: any) => o.recipient === from)).toMatchObject({
      phone_number: s.from_number,
      source: 'keyword',
      keyword: 'STOP',
    });

    const refused = await send(s, from, 'Are you still there?');
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('recipient_opted_out');

    const start = await inbound(stack, from, s.from_number, 'Start');
    await waitForInbound(stack, s, start.message_sid);
    await waitFor('opt-in', async () => {
      const res = await s.account.api.get('/v1/opt-outs');
      return !res.body.data.some((o: any) => o.recipient === from);
    });
    const accepted = await send(s, from, 'Welcome back');
    expect(accepted.status).toBe(202);
    expect(await llmCount()).toBe(before);
  });

  it('YES opts in when opted out, and otherwise goes to the agent', async () => {
    const from = recipient();
    await inbound(stack, from, s.from_number, 'UNSUBSCRIBE');
    await waitFor('opt-out', async () => {
      const res = await s.account.api.get('/v1/opt-outs');
      return res.body.data.some((o: any) => o.recipient === from);
    });
    const before = await llmCount();
    const yes1 = await inbound(stack, from, s.from_number, 'yes', { duplicate: true });
    await waitForInbound(stack, s, yes1.message_sid);
    await waitFor('opt-in', async () => {
      const res = await s.account.api.get('/v1/opt-outs');
      return !res.body.data.some((o: any) => o.recipient === from);
    });
    expect(await llmCount()).toBe(before);
    expect((await sandboxMessages(stack, { to: from })).length).toBe(0);

    await inbound(stack, from, s.from_number, 'YES');
    const [reply] = await waitForReplies(stack, s, from, 1);
    expect(reply.body).toContain('YES');
    expect(await llmCount()).toBe(before + 1);
  });

  it('HELP gets a short reply from the business profile, without the LLM', async () => {
    const from = recipient();
    const before = await llmCount();
    await inbound(stack, from, s.from_number, 'help');
    const [reply] = await waitForReplies(stack, s, from, 1);
    expect(reply.body).toContain('SMS agent');
    expect(reply.body).toContain('Acme Dental');
    expect(reply.body).toContain('STOP');
    expect(reply.body.length).toBeLessThanOrEqual(600);
    expect(await llmCount()).toBe(before);
  });
});
