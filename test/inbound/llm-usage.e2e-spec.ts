import Redis from 'ioredis';
import { Receiver } from '../factories/customer-webhooks';
import { inbound, llmRequests } from '../factories/inbound';
import { ukMobile } from '../factories/sms';
import {
  VoiceLine,
  afterCallStack,
  callRecord,
  callTurns,
  placeCall,
  receivedEvents,
  voiceLine,
} from '../factories/voice';
import { Stack, waitFor } from '../harness/stack';

const BUDGET_APOLOGY =
  "I'm sorry, I can't take your call right now. Please try again later or contact us another way. Goodbye.";

/**
 * LLM token usage and the monthly budget on a real stack (stub LLM, Twilio
 * sandbox): an SMS reply, a call's turns and its summary each record their
 * tokens; GET /v1/usage shows them by day, agent and channel; a budget used
 * up (even after Redis lost its counters) leaves the next SMS unanswered and
 * ends the next call with an apology, each with the reason and an event.
 */
describe('LLM usage and the monthly token budget', () => {
  let stack: Stack;
  let receiver: Receiver;
  let line: VoiceLine;
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    ({ stack, receiver } = await afterCallStack({
      VOICE_SILENCE_REPROMPT_MS: '1500',
      VOICE_SILENCE_HANGUP_MS: '1500',
    }));
    line = await voiceLine(stack, { number: { webhook_url: receiver.url('/usage') } });
  }, 90_000);
  afterAll(async () => {
    await receiver?.close();
    await stack?.stop();
  });

  const usageRows = (schema: 'messaging' | 'voice') =>
    stack.sql(`SELECT * FROM ${schema}.llm_usage WHERE account_id = $1 ORDER BY id`, [
      line.account.account_id,
    ]);

  it('records an SMS reply, call turns and a call summary, and GET /v1/usage shows them by day and agent', async () => {
    const caller = ukMobile('7311');
    const sms = await inbound(stack, caller, line.phone, 'Do you open on Saturdays?');
    const [reply] = await waitFor('the SMS usage', async () => {
      const rows = await usageRows('messaging');
      return rows.length > 0 ? rows : undefined;
    });
    const [stored] = await stack.sql(`SELECT id FROM messaging.messages WHERE twilio_sid = $1`, [
      sms.message_sid,
    ]);
    expect(reply).toMatchObject({
      source_id: stored.id,
      purpose: 'sms_reply',
      agent_id: line.agent.id,
      number: line.phone,
      model: 'stub-model',
    });
    // The stub counts as OpenAI does: the prompt at ~4 characters a token, the answer token by token.
    const prompt = (await llmRequests(stack))[0].body.messages.map((m: any) => m.content).join('\n');
    expect(reply.prompt_tokens).toBe(Math.ceil(prompt.length / 4));
    expect(reply.completion_tokens).toBeGreaterThan(3);

    const call = await placeCall(stack, caller, line.phone, { steps: [{ say: 'Can I book a cleaning?' }] });
    expect(call.status).toBe('completed');
    const record = await callRecord(stack, call.call_sid, (c) => c.ended_at !== null);
    const voice = await waitFor('the call usage', async () => {
      const rows = await usageRows('voice');
      return rows.some((r) => r.purpose === 'call_summary') ? rows : undefined;
    });
    const turn = voice.find((r) => r.purpose === 'call_turn');
    const spoken = (await callTurns(stack, record.id)).find(
      (t) => t.role === 'agent' && t.text.includes('book'),
    );
    // Streamed: the usage came in the stream's last chunk (stream_options.include_usage).
    expect(turn).toMatchObject({ agent_id: line.agent.id, number: line.phone, model: 'stub-model' });
    expect(turn.completion_tokens).toBe(spoken.text.match(/\S+/g).length);
    expect(turn.source_id).toMatch(new RegExp(`^${record.id}:\\d+$`));
    expect(voice.find((r) => r.purpose === 'call_summary').source_id).toBe(`${record.id}:summary`);

    const res = await line.account.api.get(`/v1/usage?from=${today}&to=${today}`);
    expect(res.status).toBe(200);
    const tokens = (rows: any[]) => rows.reduce((n, r) => n + r.prompt_tokens + r.completion_tokens, 0);
    const smsTokens = tokens([reply]);
    const voiceTokens = tokens(voice);
    expect(res.body.rows).toEqual([
      {
        date: today,
        agent_id: line.agent.id,
        channel: 'sms',
        prompt_tokens: reply.prompt_tokens,
        completion_tokens: reply.completion_tokens,
        total_tokens: smsTokens,
        sms_replies: 1,
        call_turns: 0,
        call_summaries: 0,
      },
      expect.objectContaining({
        date: today,
        agent_id: line.agent.id,
        channel: 'voice',
        total_tokens: voiceTokens,
        call_turns: voice.filter((r) => r.purpose === 'call_turn').length,
        call_summaries: 1,
      }),
    ]);
    expect(res.body.totals).toMatchObject({ total_tokens: smsTokens + voiceTokens, sms_replies: 1 });
    expect(res.body.budget).toEqual({
      month: today.slice(0, 7),
      monthly_token_budget: null,
      used: smsTokens + voiceTokens,
      remaining: null,
    });
    // Another agent's view is empty; the budget stays the account's.
    const other = await line.account.api.get(`/v1/usage?from=${today}&to=${today}&agent_id=agt_none`);
    expect(other.body.rows).toEqual([]);
    expect(other.body.budget.used).toBe(smsTokens + voiceTokens);
  }, 90_000);

  it('a used-up budget leaves the next SMS unanswered and ends the next call with an apology, even after Redis lost the counters', async () => {
    const set = await line.account.api.patch('/v1/account/settings', { monthly_token_budget: 10 });
    expect(set.status).toBe(200);
    expect(set.body.monthly_token_budget).toBe(10);
    await waitFor('messaging and voice know the budget', async () => {
      const q = (s: string) =>
        stack.sql(
          `SELECT 1 FROM ${s}.account_token_budgets WHERE account_id = $1 AND monthly_token_budget = 10`,
          [line.account.account_id],
        );
      return (await q('messaging')).length > 0 && (await q('voice')).length > 0 ? true : undefined;
    });
    // Redis forgets: the services rebuild the month's counters from their tables.
    const redis = new Redis(stack.env.REDIS_URL);
    const keys = await redis.keys(`${stack.env.REDIS_KEY_PREFIX}llm-tokens:${line.account.account_id}:*`);
    expect(keys.length).toBe(2);
    await redis.del(...keys);
    await redis.quit();

    const asked = (await llmRequests(stack)).length;
    const caller = ukMobile('7312');
    const sms = await inbound(stack, caller, line.phone, 'Are you there?');
    const [msg] = await waitFor('the skipped reply', async () => {
      const rows = await stack.sql(
        `SELECT id, error_code, error_message FROM messaging.messages WHERE twilio_sid = $1`,
        [sms.message_sid],
      );
      return rows[0]?.error_code ? rows : undefined;
    });
    expect(msg.error_code).toBe('token_budget_exhausted');
    expect(msg.error_message).toContain('(10 tokens) is used up');
    const smsEvent = await waitFor('llm.budget_exhausted (sms)', async () =>
      receivedEvents(receiver, 'llm.budget_exhausted').find((e) => e.json.data.channel === 'sms'),
    );
    expect(smsEvent.json.data).toMatchObject({ message_id: msg.id, monthly_token_budget: 10 });
    expect(smsEvent.json.data.used).toBeGreaterThan(10);
    expect((await llmRequests(stack)).length).toBe(asked);

    const call = await placeCall(stack, caller, line.phone, { steps: [{ say: 'Hello?' }] });
    const record = await callRecord(stack, call.call_sid, (c) => c.ended_at !== null);
    expect(record.end_reason).toBe('token_budget_exhausted');
    expect(record.error_code).toBe('token_budget_exhausted');
    expect((await callTurns(stack, record.id)).map((t) => t.text)).toContain(BUDGET_APOLOGY);
    const callEvent = await waitFor('llm.budget_exhausted (voice)', async () =>
      receivedEvents(receiver, 'llm.budget_exhausted').find((e) => e.json.data.call_id === record.id),
    );
    expect(callEvent.json.data.channel).toBe('voice');

    const refused = await line.account.api.post('/v1/calls', {
      agent_id: line.agent.id,
      from_number: line.phone,
      to: ukMobile('7313'),
    });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('token_budget_exhausted');

    const usage = await line.account.api.get(`/v1/usage?from=${today}&to=${today}`);
    expect(usage.body.budget).toMatchObject({ monthly_token_budget: 10, remaining: 0 });
  }, 90_000);

  it('refuses bad queries and budgets with stable codes', async () => {
    const codeOf = async (path: string) => {
      const res = await line.account.api.get(path);
      return [res.status, res.body.error?.code];
    };
    expect(await codeOf('/v1/usage')).toEqual([400, 'validation_failed']);
    expect(await codeOf('/v1/usage?from=2026-1-01&to=2026-01-02')).toEqual([400, 'validation_failed']);
    expect(await codeOf('/v1/usage?from=2026-02-30&to=2026-03-02')).toEqual([400, 'invalid_date_range']);
    expect(await codeOf('/v1/usage?from=2026-03-02&to=2026-03-01')).toEqual([400, 'invalid_date_range']);
    expect(await codeOf('/v1/usage?from=2026-01-01&to=2026-04-03')).toEqual([400, 'invalid_date_range']);
    expect(await codeOf('/v1/usage?from=2026-01-01&to=2026-04-02')).toEqual([200, undefined]);
    for (const bad of [-1, 1.5, '100']) {
      const res = await line.account.api.patch('/v1/account/settings', { monthly_token_budget: bad });
      expect([res.status, res.body.error.code]).toEqual([400, 'validation_failed']);
    }
  });
});
