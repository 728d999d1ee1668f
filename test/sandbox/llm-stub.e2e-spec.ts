import OpenAI from 'openai';
import { startLlmStub, type LlmStubHandle } from '../../tools/llm-stub/src/server';
import { adminCall } from './helpers';

/** The LLM stub through the real `openai` SDK. */

describe('llm-stub', () => {
  let stub: LlmStubHandle;
  let openai: OpenAI;

  beforeAll(async () => {
    stub = await startLlmStub({ port: 0 });
    openai = new OpenAI({
      baseURL: `${stub.url}/v1`,
      apiKey: 'sk-test-secret',
      maxRetries: 0,
      timeout: 2000,
    });
  });

  beforeEach(() => adminCall(stub.url, 'POST', '/__admin/reset'));

  afterAll(() => stub.close());

  it('answers a deterministic completion and records the request without the key', async () => {
    const completion = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are a helpful SMS agent.' },
        {
          role: 'user',
          content: 'What time do you open tomorrow morning? I need to pick up my order before work.',
        },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.choices[0].message.role).toBe('assistant');
    expect(completion.choices[0].message.content).toBe(
      'Thanks for your message. (stub reply to: "What time do you open tomorrow morning? I need to pick up my")',
    );
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);

    const recorded = await adminCall(stub.url, 'GET', '/__admin/requests');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ path: '/v1/chat/completions', authorization: true });
    expect(recorded[0].body.messages[1].content).toContain('What time do you open');
    expect(JSON.stringify(recorded)).not.toContain('sk-test-secret');
  });

  it('uses a configured reply and supports streaming', async () => {
    await adminCall(stub.url, 'POST', '/__admin/behaviour', { reply: 'Fixed answer.' });
    const c = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(c.choices[0].message.content).toBe('Fixed answer.');
    const stream = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Fixed answer.');
  });

  it('fail behaviour gives an APIError with that status, count times', async () => {
    await adminCall(stub.url, 'POST', '/__admin/behaviour', { fail: { status: 503, count: 1 } });
    const err = await openai.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    await expect(
      openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    ).resolves.toBeDefined();
  });

  it('hang and delay_ms make the client time out', async () => {
    // Under jest's node environment the SDK cannot recognise the AbortError of
    // its own timeout and reports a plain APIConnectionError (the parent class
    // of APIConnectionTimeoutError), so assert on the class and the timing.
    const quick = new OpenAI({ baseURL: `${stub.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 200 });
    const timed = async () => {
      const started = Date.now();
      const err = await quick.chat.completions
        .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(2000);
    };
    await adminCall(stub.url, 'POST', '/__admin/behaviour', { hang: true });
    await timed();
    await adminCall(stub.url, 'POST', '/__admin/behaviour', { hang: false, delay_ms: 500 });
    await timed();
    await adminCall(stub.url, 'POST', '/__admin/behaviour', { delay_ms: 0 });
    await expect(
      quick.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    ).resolves.toBeDefined();
    expect(await adminCall(stub.url, 'GET', '/__admin/requests')).toHaveLength(3);
  });

  it('lists models', async () => {
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-4o-mini');
  });
});
