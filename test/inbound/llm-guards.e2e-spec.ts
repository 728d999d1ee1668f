import { EventTap, tapEvents } from '../factories/broker';
import { Receiver } from '../factories/customer-webhooks';
import { inbound, llmRequests, waitForInbound, waitForReplies } from '../factories/inbound';
import { SmsSender, recipient, send, smsSender } from '../factories/sms';
import { http } from '../harness/api';
import { Stack, waitFor } from '../harness/stack';

/**
 * The LLM guards (docs/operations.md "LLM guards") on a real stack: the
 * `max_tokens` the stub LLM receives, the model allow-list at the API and
 * for an agent whose model was retired, the reply cap per conversation, and
 * the auto-responder loop detector (fast, identical and marked texts), with
 * a person's conversation answered throughout.
 */
// Generous, so a bot answered at once counts as fast even on a loaded machine.
const FAST_BASE_MS = 6000;
const FAST_MS_PER_CHAR = 50;

describe('LLM guards', () => {
  let stack: Stack;
  let s: SmsSender;
  let hooks: Receiver;
  let tap: EventTap;

  beforeAll(async () => {
    hooks = await Receiver.start();
    stack = await Stack.start({
      env: {
        LLM_MAX_TOKENS: '77',
        LLM_ALLOWED_MODELS: 'stub-model,stub-mini',
        SMS_REPLY_CAP: '3',
        SMS_LOOP_FAST_BASE_MS: String(FAST_BASE_MS),
        SMS_LOOP_FAST_MS_PER_CHAR: String(FAST_MS_PER_CHAR),
      },
    });
    s = await smsSender(stack);
    const patched = await s.account.api.patch(`/v1/phone-numbers/${encodeURIComponent(s.from_number)}`, {
      webhook_url: hooks.url(),
    });
    expect(patched.status).toBe(200);
    tap = await tapEvents(stack, ['sms.reply-guarded.v1']);
  }, 90_000);
  afterAll(async () => {
    await tap?.close();
    await stack?.stop();
    await hooks?.close();
  });

  const text = async (from: string, body: string) =>
    (await inbound(stack, from, s.from_number, body)).message_sid;
  /** The inbound message once its reply was given up (error_code set). */
  const unanswered = (sid: string) => waitForInbound(stack, s, sid, (m) => m.error_code != null);
  const forwarded = (messageId: string) =>
    waitFor(`sms.received webhook of ${messageId}`, async () =>
      hooks.received.some((r) => {
        const b = JSON.parse(r.body);
        return b.type === 'sms.received' && b.data.message_id === messageId;
      }),
    );
  /** The internal `sms.reply-guarded.v1` of an unanswered message, once its customer webhook says the same. */
  const guardEvent = async (messageId: string) => {
    const event = await waitFor(`sms.reply-guarded.v1 of ${messageId}`, async () =>
      tap.events.find((e) => e.body.message_id === messageId),
    );
    const hook = await waitFor(`sms.reply_guarded webhook of ${messageId}`, async () =>
      hooks.received
        .map((r) => JSON.parse(r.body))
        .find((b) => b.type === 'sms.reply_guarded' && b.data.message_id === messageId),
    );
    expect(hook.id).toBe(`evt_reply_guarded_${messageId}`);
    expect(hook.phone_number).toBe(s.from_number);
    expect(hook.data).toEqual({
      message_id: messageId,
      from: event.body.other_party,
      to: s.from_number,
      code: event.body.code,
      signal: event.body.signal,
      signal_message_id: event.body.signal_message_id,
      reason: event.body.reason,
    });
    return event;
  };
  const askedLlm = async (body: string) =>
    (await llmRequests(stack)).some((r) => JSON.stringify(r.body.messages).includes(body));

  it('refuses an agent model off LLM_ALLOWED_MODELS with 400 model_not_allowed, on create and update', async () => {
    const api = s.account.api;
    const refused = await api.post('/v1/agents', { name: 'Pricey', llm_model: 'gpt-4-32k' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('model_not_allowed');
    expect(refused.body.error.message).toContain('stub-model, stub-mini');
    const ok = await api.post('/v1/agents', { name: 'Small', llm_model: 'stub-mini' });
    expect(ok.status).toBe(201);
    expect(ok.body.llm_model).toBe('stub-mini');
    const patched = await api.patch(`/v1/agents/${ok.body.id}`, { llm_model: 'o1-pro' });
    expect(patched.status).toBe(400);
    expect(patched.body.error.code).toBe('model_not_allowed');
    expect((await api.get(`/v1/agents/${ok.body.id}`)).body.llm_model).toBe('stub-mini');
    expect((await api.patch(`/v1/agents/${ok.body.id}`, { llm_model: null })).status).toBe(200);
  });

  it('answers an agent whose model was later taken off the list with the default model', async () => {
    const other = await smsSender(stack, s.account);
    // As if the operator removed the model after the agent chose it.
    await stack.sql(`UPDATE numbers.agents SET llm_model = 'retired-model' WHERE id = $1`, [other.agent_id]);
    const from = recipient();
    await inbound(stack, from, other.from_number, 'Is the retired model used?');
    await waitForReplies(stack, other, from, 1);
    const req = (await llmRequests(stack)).find((r) =>
      JSON.stringify(r.body.messages).includes('Is the retired model used?'),
    );
    expect(req.body.model).toBe('stub-model');
  });

  it('answers a person (one fast text among slow ones), with max_tokens, then stops at the reply cap', async () => {
    const from = recipient();
    await text(from, 'Hi, are you open on Saturday?');
    await waitForReplies(stack, s, from, 1);
    const [first] = await llmRequests(stack).then((all) =>
      all.filter((r) => JSON.stringify(r.body.messages).includes('open on Saturday')),
    );
    expect(first.body.max_tokens).toBe(77);

    await text(from, 'ok thanks'); // at once: one fast text alone is not a loop
    await waitForReplies(stack, s, from, 2);
    const third = 'Book me in at 10 please';
    await new Promise((r) => setTimeout(r, FAST_BASE_MS + FAST_MS_PER_CHAR * third.length + 300));
    await text(from, third);
    await waitForReplies(stack, s, from, 3);

    const sid = await text(from, 'And one more question');
    const capped = await unanswered(sid);
    expect(capped.error_code).toBe('reply_cap_reached');
    expect(capped.error_message).toMatch(/already replied 3 times to this contact in the last 60 min/);
    await forwarded(capped.message_id);
    expect((await guardEvent(capped.message_id)).body).toMatchObject({
      code: 'reply_cap_reached',
      signal: null,
      account_id: s.account.account_id,
      our_number: s.from_number,
      other_party: from,
    });
    expect(await waitForReplies(stack, s, from, 3)).toHaveLength(3);
    expect(await askedLlm('And one more question')).toBe(false);
  });

  it('stops a loop with an auto-responder that answers at once with the same text, and keeps the conversation quiet', async () => {
    const bot = recipient();
    const auto = 'Thanks for your message! We will get back to you shortly.';
    await text(bot, auto);
    await waitForReplies(stack, s, bot, 1);
    await text(bot, auto);
    await waitForReplies(stack, s, bot, 2);
    const sid = await text(bot, auto);
    const stopped = await unanswered(sid);
    expect(stopped.error_code).toBe('loop_detected');
    expect(stopped.error_message).toContain('repeated_text');
    const event = (await guardEvent(stopped.message_id)).body;
    expect(event).toMatchObject({ code: 'loop_detected', signal: 'repeated_text' });
    expect(event.signal_message_id).toBe(stopped.message_id);
    await forwarded(stopped.message_id);

    // Within the cooldown even a person-like text stays unanswered, naming the earlier sign.
    const later = await unanswered(await text(bot, 'Hello, is this the dental office?'));
    expect(later.error_code).toBe('loop_detected');
    expect(later.error_message).toMatch(/loop was detected at .*repeated_text/);
    expect((await guardEvent(later.message_id)).body.signal_message_id).toBe(stopped.message_id);
    await forwarded(later.message_id);
    expect(await waitForReplies(stack, s, bot, 2)).toHaveLength(2);
  });

  it('stops texts that each come back faster than a person types', async () => {
    const bot = recipient();
    expect((await send(s, bot, 'Your appointment is tomorrow at 9.')).status).toBe(202);
    await waitForReplies(stack, s, bot, 1);
    await text(bot, 'Ticket 1001 received');
    await waitForReplies(stack, s, bot, 2);
    await text(bot, 'Ticket 1002 received');
    await waitForReplies(stack, s, bot, 3);
    const stopped = await unanswered(await text(bot, 'Ticket 1003 received'));
    expect(stopped.error_code).toBe('loop_detected');
    expect(stopped.error_message).toContain('fast_replies');
    expect((await guardEvent(stopped.message_id)).body.signal).toBe('fast_replies');
  });

  it('does not answer an auto-reply marker, not even once', async () => {
    const ooo = recipient();
    const body = 'Auto-Reply: I am out of the office until Monday.';
    const stopped = await unanswered(await text(ooo, body));
    expect(stopped.error_code).toBe('loop_detected');
    expect(stopped.error_message).toContain('auto_reply_marker: the text says "auto-reply"');
    expect((await guardEvent(stopped.message_id)).body.signal).toBe('auto_reply_marker');
    await forwarded(stopped.message_id);
    expect(await askedLlm(body)).toBe(false);
    // Every guarded reply of this file so far is counted on messaging's metrics port.
    const metrics = (await http<string>('GET', `http://127.0.0.1:${stack.ports.messagingMetrics}/metrics`))
      .body;
    const count = (code: string) =>
      Number(
        new RegExp(`^nixflex_sms_reply_guarded_total\\{[^}]*code="${code}"[^}]*\\} (\\d+)$`, 'm').exec(
          metrics,
        )?.[1],
      );
    expect(count('reply_cap_reached')).toBeGreaterThanOrEqual(1);
    expect(count('loop_detected')).toBeGreaterThanOrEqual(4);
  });
});
