import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  AgentModule,
  AgentNumber,
  AgentReplyGenerator,
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
    expect(req.body.stream).toBeUndefined();
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

  it('without a base URL is not configured and calls nothing', async () => {
    const generator = new AgentReplyGenerator(new LlmClient(settings({ baseUrl: undefined })));
    expect(generator.configured).toBe(false);
    expect(agent.configured).toBe(true);
    await expect(
      generator.reply({ number: NUMBER, channel: 'sms', turns: [{ from: 'caller', text: 'hi' }] }),
    ).rejects.toBeInstanceOf(LlmError);
    expect(await requests()).toHaveLength(0);
  });
});
