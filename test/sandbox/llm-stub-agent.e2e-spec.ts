import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AgentModule,
  AgentNumber,
  AgentReplyGenerator,
  AgentStep,
  AgentTool,
  LlmClient,
  LlmError,
  LlmSettings,
} from '@nixflex/common/agent';
import { startLlmStub, type LlmStubHandle } from '../../tools/llm-stub/src/server';
import { adminCall } from './helpers';

/**
 * The agent layer (`@nixflex/common/agent`) against the stub LLM over real
 * HTTP, through the real `openai` SDK: what it sends, one-shot and streamed
 * replies, aborts, failures, and the client without an LLM configured.
 */

const NUMBER: AgentNumber = {
  agent_system_prompt: 'You are a friendly receptionist.',
  custom_prompt: 'Acme Dental, open 9-5 weekdays.',
  llm_model: 'agent-model',
};

describe('agent layer against the stub LLM', () => {
  let stub: LlmStubHandle;
  let app: INestApplicationContext;
  let agent: AgentReplyGenerator;
  const settings = (over: Partial<LlmSettings> = {}): LlmSettings => ({
    baseUrl: `${stub.url}/v1`,
    apiKey: 'sk-agent-secret',
    model: undefined,
    timeoutMs: 5000,
    maxRetries: 0,
    toolMaxRounds: 3,
    toolMaxMs: 5000,
    maxTokens: 200,
    voiceMaxTokens: 90,
    allowedModels: ['agent-model', 'gpt-4o-mini'],
    ...over,
  });
  const requests = () => adminCall(stub.url, 'GET', '/__admin/requests');

  beforeAll(async () => {
    stub = await startLlmStub({ port: 0 });
    // Through Nest, as a service gets it: the settings are injected, not read from the environment.
    app = await NestFactory.createApplicationContext(AgentModule.withSettings(settings()), { logger: false });
    agent = app.get(AgentReplyGenerator);
  });
  beforeEach(() => adminCall(stub.url, 'POST', '/__admin/reset'));
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });

  it('replies once with the composed prompt and the turns, and never sends the key in clear', async () => {
    const text = await agent.reply({
      number: NUMBER,
      channel: 'sms',
      turns: [
        { from: 'caller', text: 'Are you open Monday?' },
        { from: 'agent', text: 'Yes, 9 to 5.' },
        { from: 'caller', text: 'And Tuesday?' },
      ],
    });
    expect(text).toBe('Thanks for your message. (stub reply to: "And Tuesday?")');

    const [req] = await requests();
    expect(req).toMatchObject({ path: '/v1/chat/completions', authorization: true });
    expect(req.body.model).toBe('agent-model');
    expect(req.body.max_tokens).toBe(200); // LLM_MAX_TOKENS
    expect(req.body.stream).toBeFalsy();
    expect(req.body.messages.map((m: any) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    const system: string = req.body.messages[0].content;
    expect(system.startsWith('You are a friendly receptionist.\n\nBUSINESS PROFILE\n')).toBe(true);
    expect(system.endsWith('Acme Dental, open 9-5 weekdays.')).toBe(true);
    expect(JSON.stringify(await requests())).not.toContain('sk-agent-secret');
  });

  it('streams the reply as text deltas, with a voice prompt and the caller history', async () => {
    await adminCall(stub.url, 'POST', '/__admin/behaviour', { reply: 'We open at nine tomorrow.' });
    const deltas: string[] = [];
    for await (const delta of agent.stream({
      number: NUMBER,
      channel: 'voice',
      turns: [{ from: 'caller', text: 'When do you open?' }],
      callerHistory: {
        texts: [{ at: '2026-11-30T09:00:00.000Z', direction: 'inbound', body: 'Can I book a cleaning?' }],
      },
      signal: new AbortController().signal,
    }))
      deltas.push(delta);
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.every((d) => d.length > 0)).toBe(true);
    expect(deltas.join('')).toBe('We open at nine tomorrow.');

    const [req] = await requests();
    expect(req.body.stream).toBe(true);
    expect(req.body.max_tokens).toBe(90); // LLM_VOICE_MAX_TOKENS
    const system: string = req.body.messages[0].content;
    const at = (s: string) => system.indexOf(s);
    expect(at('BUSINESS PROFILE')).toBeGreaterThan(0);
    expect(at('CALLER HISTORY')).toBeGreaterThan(at('BUSINESS PROFILE'));
    expect(system).toContain('text from the caller: Can I book a cleaning?');
    expect(at('VOICE CALL')).toBeGreaterThan(at('CALLER HISTORY'));
  });

  it('stops a streamed reply when its signal is aborted', async () => {
    await adminCall(stub.url, 'POST', '/__admin/behaviour', { delay_ms: 3000 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const err = await (async () => {
      for await (const _ of agent.stream({
        number: NUMBER,
        channel: 'voice',
        turns: [{ from: 'caller', text: 'hello?' }],
        signal: controller.signal,
      }));
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await requests()).toHaveLength(1);
  });

  it('reports an LLM failure as an LlmError with its status', async () => {
    await adminCall(stub.url, 'POST', '/__admin/behaviour', { fail: { status: 500, count: 1 } });
    const err = await agent
      .reply({ number: NUMBER, channel: 'sms', turns: [{ from: 'caller', text: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).status).toBe(500);
    expect((err as LlmError).aborted).toBe(false);
    expect((err as LlmError).message).toMatch(/^LLM error 500: /);
  });

  it('picks the agent model, else the configured model, else the default', async () => {
    const client = new LlmClient(settings({ model: 'configured-model' }));
    await client.complete({ model: null, messages: [{ role: 'user', content: 'a' }] });
    await new LlmClient(settings()).complete({ messages: [{ role: 'user', content: 'b' }] });
    expect((await requests()).map((r: any) => r.body.model)).toEqual(['configured-model', 'gpt-4o-mini']);
  });

  it('answers with the default model for a model off LLM_ALLOWED_MODELS, and sends no max_tokens when it is 0', async () => {
    const client = new LlmClient(settings({ model: 'agent-model', maxTokens: 0 }));
    await client.complete({ model: 'retired-model', messages: [{ role: 'user', content: 'a' }] });
    const [req] = await requests();
    expect(req.body.model).toBe('agent-model');
    expect(req.body).not.toHaveProperty('max_tokens');
  });

  it('without a base URL is not configured and calls nothing', async () => {
    const generator = new AgentReplyGenerator(new LlmClient(settings({ baseUrl: undefined })), settings());
    expect(generator.configured).toBe(false);
    expect(agent.configured).toBe(true);
    await expect(
      generator.reply({ number: NUMBER, channel: 'sms', turns: [{ from: 'caller', text: 'hi' }] }),
    ).rejects.toBeInstanceOf(LlmError);
    expect(await requests()).toHaveLength(0);
  });

  describe('tools', () => {
    /** A tool that records its calls and answers `result` (or waits forever with `hang`). */
    function tool(name: string, result: string, hang = false) {
      const calls: { args: Record<string, unknown>; id: string }[] = [];
      const t: AgentTool = {
        spec: { name, description: `the ${name} tool`, parameters: { type: 'object', properties: {} } },
        run: (args, ctx) => {
          calls.push({ args, id: ctx.toolCallId });
          return hang ? new Promise<string>(() => undefined) : Promise.resolve(result);
        },
      };
      return { t, calls };
    }

    it('streams words, runs the tool the model asks for (arguments streamed in pieces), then streams the answer', async () => {
      await adminCall(stub.url, 'POST', '/__admin/behaviour', {
        script: [
          {
            match: 'tomorrow',
            reply: 'Let me check. ',
            tool_calls: [
              { name: 'check_availability', arguments: { from_date: '2026-12-02', to_date: '2026-12-02' } },
            ],
          },
          { match: '"slots"', reply: 'I have nine or ten.' },
        ],
      });
      const availability = tool('check_availability', '{"ok":true,"slots":["9:00","10:00"]}');
      const steps: AgentStep[] = [];
      for await (const step of agent.streamWithTools({
        number: NUMBER,
        channel: 'voice',
        turns: [{ from: 'caller', text: 'Can I come tomorrow?' }],
        tools: [availability.t],
      })) {
        steps.push(step);
      }
      const kinds = steps.map((s) => s.type).filter((k, i, all) => k !== all[i - 1]);
      expect(kinds).toEqual(['text', 'tools', 'tool_results', 'text']);
      const words = steps.map((s) => (s.type === 'text' ? s.text : '|')).join('');
      expect(words).toBe('Let me check. ||I have nine or ten.');
      expect(availability.calls).toHaveLength(1);
      expect(availability.calls[0].args).toEqual({ from_date: '2026-12-02', to_date: '2026-12-02' });
      const [first, second] = await requests();
      expect(first.body.tools.map((t: any) => t.function.name)).toEqual(['check_availability']);
      expect(first.body.tool_choice).toBe('auto');
      // The second request carries the assistant's tool call and the tool's answer under its id.
      const msgs = second.body.messages;
      expect(msgs[msgs.length - 2].tool_calls[0].function.name).toBe('check_availability');
      expect(msgs[msgs.length - 1]).toMatchObject({
        role: 'tool',
        tool_call_id: availability.calls[0].id,
        content: '{"ok":true,"slots":["9:00","10:00"]}',
      });
    });

    it('answers in words after the round limit, and a tool that overruns the time is answered as timed out', async () => {
      await adminCall(stub.url, 'POST', '/__admin/behaviour', {
        script: [
          { tool_calls: [{ name: 'slow', arguments: {} }] },
          { tool_calls: [{ name: 'slow', arguments: {} }] },
          { reply: 'Sorry, the calendar is slow today.' },
        ],
      });
      const slow = tool('slow', '', true);
      const started = Date.now();
      const out = await agent.replyWithTools({
        number: NUMBER,
        channel: 'sms',
        turns: [{ from: 'caller', text: 'Book me in' }],
        tools: [slow.t],
        limits: { maxRounds: 1, maxMs: 300 },
      });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(out.text).toBe('Sorry, the calendar is slow today.');
      expect(out.runs).toHaveLength(1);
      expect(JSON.parse(out.runs[0].result)).toMatchObject({ ok: false, error: 'timeout' });
      const reqs = await requests();
      expect(reqs.map((r: any) => r.body.tool_choice)).toEqual(['auto', 'none']);
    });

    it('turns unknown tools and bad arguments into results the model can act on', async () => {
      await adminCall(stub.url, 'POST', '/__admin/behaviour', {
        script: [
          {
            tool_calls: [
              { name: 'nope', arguments: {} },
              { name: 'known', arguments: 'not json' },
            ],
          },
          { reply: 'done' },
        ],
      });
      const known = tool('known', 'fine');
      const out = await agent.replyWithTools({
        number: NUMBER,
        channel: 'sms',
        turns: [{ from: 'caller', text: 'x' }],
        tools: [known.t],
      });
      expect(out.runs.map((r) => JSON.parse(r.result).error)).toEqual(['unknown_tool', 'invalid_arguments']);
      expect(known.calls).toHaveLength(0);
      expect(out.text).toBe('done');
    });

    it('summarises a call in bounded tokens, and has nothing to summarise when the caller said nothing', async () => {
      await adminCall(stub.url, 'POST', '/__admin/behaviour', {
        script: [{ match: 'Summarise', reply: 'The caller booked a cleaning for Thursday at 9am.' }],
      });
      const summary = await agent.summarize(
        NUMBER,
        [
          { from: 'agent', text: 'Hello, Acme Dental.' },
          { from: 'caller', text: 'I would like a cleaning on Thursday.' },
          { from: 'note', text: 'booked' },
        ],
        { timeoutMs: 2000 },
      );
      expect(summary).toBe('The caller booked a cleaning for Thursday at 9am.');
      const [req] = await requests();
      expect(req.body.max_tokens).toBe(120);
      expect(req.body.messages[1].content).toContain('Caller: I would like a cleaning on Thursday.');
      expect(req.body.messages[1].content).not.toContain('booked');
      expect(
        await agent.summarize(NUMBER, [{ from: 'agent', text: 'Hello?' }], { timeoutMs: 2000 }),
      ).toBeNull();
    });
  });
});
