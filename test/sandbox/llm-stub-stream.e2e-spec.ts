import OpenAI from 'openai';
import { performance } from 'node:perf_hooks';
import { startLlmStub, type LlmStubHandle } from '../../tools/llm-stub/src/server';
import { adminCall, sleep } from './helpers';

/** Streaming completions through the real `openai` SDK: tokens, timings, stall, hang and abort. */

describe('llm-stub streaming', () => {
  let stub: LlmStubHandle;
  let openai: OpenAI;

  beforeAll(async () => {
    stub = await startLlmStub({ port: 0 });
    openai = new OpenAI({ baseURL: `${stub.url}/v1`, apiKey: 'sk-test', maxRetries: 0, timeout: 5000 });
  });

  beforeEach(() => adminCall(stub.url, 'POST', '/__admin/reset'));

  afterAll(() => stub.close());

  /** The stub's stream counters once they settle (the server sees a client leave a moment later). */
  async function settledStats(): Promise<Record<string, number>> {
    const deadline = Date.now() + 2000;
    for (;;) {
      const stats = await adminCall(stub.url, 'GET', '/__admin/stats');
      if ((stats.active_streams === 0 && stats.pending_timers === 0) || Date.now() > deadline) return stats;
      await sleep(20);
    }
  }

  const behave = (b: Record<string, unknown>) => adminCall(stub.url, 'POST', '/__admin/behaviour', b);
  const streamOf = (signal?: AbortSignal) =>
    openai.chat.completions.create(
      {
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'You are the voice agent of Smile Dental.' },
          { role: 'user', content: 'Can I book a cleaning?' },
        ],
        stream: true,
      },
      { signal },
    );

  it('streams the reply word by word with the configured first-token and inter-token delays', async () => {
    await behave({ reply: 'Sure, I can book that for you.', first_token_delay_ms: 150, token_delay_ms: 20 });
    const started = performance.now();
    const tokens: { token: string; at: number }[] = [];
    let finish: string | null = null;
    for await (const chunk of await streamOf()) {
      const c = chunk.choices[0];
      if (c?.delta?.content) tokens.push({ token: c.delta.content, at: performance.now() - started });
      if (c?.finish_reason) finish = c.finish_reason;
    }
    expect(tokens.map((t) => t.token)).toEqual(['Sure, ', 'I ', 'can ', 'book ', 'that ', 'for ', 'you.']);
    expect(finish).toBe('stop');
    expect(tokens[0].at).toBeGreaterThanOrEqual(145);
    // Six gaps of about 20 ms after the first token.
    expect(tokens[6].at - tokens[0].at).toBeGreaterThanOrEqual(100);
    const recorded = await adminCall(stub.url, 'GET', '/__admin/requests');
    expect(recorded).toHaveLength(1);
    expect(recorded[0].body).toMatchObject({ stream: true });
    expect(recorded[0].body.messages[0].content).toBe('You are the voice agent of Smile Dental.');
  });

  it('streams instantly by default, the default reply included, with usage when asked', async () => {
    const stream = await openai.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi there' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Thanks for your message. (stub reply to: "hi there")');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('stall_after_tokens sends N tokens then nothing; aborting the client frees the stream', async () => {
    await behave({ reply: 'One two three four five.', stall_after_tokens: 2 });
    const controller = new AbortController();
    const got: string[] = [];
    const reading = (async () => {
      for await (const chunk of await streamOf(controller.signal)) {
        const t = chunk.choices[0]?.delta?.content;
        if (t) got.push(t);
      }
    })();
    await sleep(300);
    expect(got).toEqual(['One ', 'two ']);
    expect((await adminCall(stub.url, 'GET', '/__admin/stats')).active_streams).toBe(1);
    controller.abort();
    await reading; // the SDK ends the iteration quietly on abort
    expect(got).toEqual(['One ', 'two ']);
    expect(await settledStats()).toEqual({
      active_streams: 0,
      pending_timers: 0,
      hanging: 0,
    });
  });

  it('clients that leave mid-stream stop its timers (no leak across many streams)', async () => {
    await behave({ reply: 'a b c d e f g h i j k l m n o p', token_delay_ms: 30 });
    const controllers = Array.from({ length: 40 }, () => new AbortController());
    const runs = controllers.map(async (c) => {
      const stream = await streamOf(c.signal);
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) c.abort();
      }
    });
    await Promise.allSettled(runs);
    expect(await settledStats()).toMatchObject({
      active_streams: 0,
      pending_timers: 0,
    });
    // Clients that leave before the first token (a long first_token_delay_ms) clear that timer too.
    await behave({ first_token_delay_ms: 60_000 });
    const early = Array.from({ length: 20 }, () => new AbortController());
    const opened = await Promise.all(early.map((c) => streamOf(c.signal)));
    expect(await adminCall(stub.url, 'GET', '/__admin/stats')).toMatchObject({
      active_streams: 20,
      pending_timers: 20,
    });
    early.forEach((c) => c.abort());
    await Promise.allSettled(
      opened.map(async (s) => {
        for await (const _ of s) void _;
      }),
    );
    expect(await settledStats()).toMatchObject({
      active_streams: 0,
      pending_timers: 0,
    });
    await behave({ first_token_delay_ms: 0 });
    // The stub still answers normally.
    await behave({ token_delay_ms: 0 });
    let text = '';
    for await (const chunk of await streamOf()) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('a b c d e f g h i j k l m n o p');
  });

  it('hang holds streams before the first byte; fail and delay_ms apply to streams too', async () => {
    await behave({ hang: true });
    const quick = new OpenAI({ baseURL: `${stub.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 200 });
    const started = Date.now();
    const err = await quick.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);

    await behave({ hang: false, fail: { status: 503, count: 1 } });
    const failed = await streamOf().catch((e: unknown) => e);
    expect((failed as InstanceType<typeof OpenAI.APIError>).status).toBe(503);

    await behave({ delay_ms: 120, reply: 'Hi.' });
    const t0 = performance.now();
    let first = -1;
    for await (const chunk of await streamOf()) {
      if (first < 0 && chunk.choices[0]?.delta?.content) first = performance.now() - t0;
    }
    expect(first).toBeGreaterThanOrEqual(115);
  });

  it('rejects bad streaming behaviour values', async () => {
    for (const bad of [{ first_token_delay_ms: -1 }, { token_delay_ms: 'x' }, { stall_after_tokens: 1.5 }]) {
      const res = await fetch(`${stub.url}/__admin/behaviour`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(bad),
      });
      expect(res.status).toBe(400);
    }
    expect(await adminCall(stub.url, 'GET', '/__admin/behaviour')).toMatchObject({
      first_token_delay_ms: 0,
      token_delay_ms: 0,
      stall_after_tokens: null,
    });
  });
});
