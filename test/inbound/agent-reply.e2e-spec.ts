import { inbound, llmBehaviour, llmRequests, waitForInbound, waitForReplies } from '../factories/inbound';
import { SmsSender, recipient, smsSender } from '../factories/sms';
import { Stack } from '../harness/stack';

describe('Inbound SMS answered by the agent', () => {
  let stack: Stack;
  let s: SmsSender;

  beforeAll(async () => {
    stack = await Stack.start();
    s = await smsSender(stack);
    const patched = await s.account.api.patch(`/v1/phone-numbers/${encodeURIComponent(s.from_number)}`, {
      custom_prompt: 'We are Acme Dental, open 9-5 weekdays.',
    });
    expect(patched.status).toBe(200);
  }, 60_000);
  afterAll(() => stack?.stop());

  it('answers a signed inbound with empty TwiML, stores it, and replies with prompt + profile + history', async () => {
    const from = recipient();
    const first = await inbound(stack, from, s.from_number, 'Are you open on Monday?');
    expect(first.deliveries[0].status).toBe(200);
    expect(first.deliveries[0].body).toContain('<Response/>');
    const [r1] = await waitForReplies(stack, s, from, 1);
    expect(r1.body).toContain('Are you open on Monday?');

    const stored = await waitForInbound(stack, s, first.message_sid);
    expect(stored).toMatchObject({
      direction: 'inbound',
      status: 'received',
      from_number: from,
      to: s.from_number,
    });

    await inbound(stack, from, s.from_number, 'And on Tuesday?');
    const replies = await waitForReplies(stack, s, from, 2);
    expect(replies).toHaveLength(2);

    const reqs = await llmRequests(stack);
    const last = reqs[reqs.length - 1].body;
    expect(last.model).toBe('stub-model');
    expect(last.messages[0].role).toBe('system');
    expect(last.messages[0].content).toContain('You are helpful.');
    expect(last.messages[0].content).toContain('BUSINESS PROFILE');
    expect(last.messages[0].content).toContain('Acme Dental');
    // Exactly the prompt SMS replies have always had: the agent's, then the number's profile.
    expect(last.messages[0].content).toBe(
      'You are helpful.\n\nBUSINESS PROFILE\n' +
        'You answer for the business below, reached on this phone number. ' +
        'Where these details conflict with the instructions above, these details win.\n\n' +
        'We are Acme Dental, open 9-5 weekdays.',
    );
    const turns = last.messages.slice(1).map((m: any) => [m.role, m.content]);
    expect(turns[0]).toEqual(['user', 'Are you open on Monday?']);
    expect(turns[1][0]).toBe('assistant');
    expect(turns[turns.length - 1]).toEqual(['user', 'And on Tuesday?']);

    // The reply is an ordinary tracked outbound message, in reply to the inbound one.
    const list = await s.account.api.get(`/v1/sms?to=${encodeURIComponent(from)}`);
    expect(list.status).toBe(200);
    const out = list.body.data.filter((m: any) => m.direction === 'outbound');
    expect(out).toHaveLength(2);
    expect(out.some((m: any) => m.in_reply_to === stored.message_id)).toBe(true);
  });

  it('handles a duplicated webhook once: one stored message, one reply', async () => {
    const from = recipient();
    const res = await inbound(stack, from, s.from_number, 'Hello twice', { duplicate: true });
    expect(res.deliveries.map((d) => d.status)).toEqual([200, 200]);
    await waitForReplies(stack, s, from, 1);
    await new Promise((r) => setTimeout(r, 1500));
    const rows = await stack.sql(`SELECT id FROM messaging.messages WHERE twilio_sid = $1`, [
      res.message_sid,
    ]);
    expect(rows).toHaveLength(1);
    expect(await waitForReplies(stack, s, from, 1)).toHaveLength(1);
  });

  it('refuses a forged signature and a number we do not hold with the same 403', async () => {
    const forged = await inbound(stack, recipient(), s.from_number, 'hi', { signature: 'forged' });
    expect(forged.deliveries[0].status).toBe(403);
    const missing = await inbound(stack, recipient(), s.from_number, 'hi', { signature: 'missing' });
    expect(missing.deliveries[0].status).toBe(403);

    const res = await fetch(`${stack.webhooksUrl}/twilio/sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' },
      body: new URLSearchParams({
        MessageSid: 'SM' + '0'.repeat(32),
        From: recipient(),
        To: '+447700900999',
        Body: 'hi',
      }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: { code: 'invalid_signature', message: 'X-Twilio-Signature is missing or invalid' },
    });
  });

  it('records an LLM failure on the inbound message and sends nothing', async () => {
    await llmBehaviour(stack, { fail: { status: 500, count: 10 } });
    try {
      const from = recipient();
      const res = await inbound(stack, from, s.from_number, 'Will this fail?');
      const stored = await waitForInbound(stack, s, res.message_sid, (b) => b.error_code !== null);
      expect(stored.error_code).toBe('llm_failed');
      // Our wording and the status; the provider's error text stays in the service log.
      expect(stored.error_message).toBe('The language model failed (HTTP 500)');
      const out = await s.account.api.get(`/v1/sms?to=${encodeURIComponent(from)}`);
      expect(out.body.data).toHaveLength(0);
    } finally {
      await llmBehaviour(stack, { fail: null });
    }
  });
});
