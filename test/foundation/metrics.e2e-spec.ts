import { http } from '../harness/api';
import { Stack, waitFor } from '../harness/stack';
import { inbound, waitForReplies } from '../factories/inbound';
import { FINAL, SmsSender, recipient, send, smsSender, waitForSms } from '../factories/sms';
import { placeCall, voiceLine } from '../factories/voice';

const TOKEN = 'metrics-e2e-token-0123456789';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format: `name{label="value",...} number` lines; comments skipped. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[k] = v;
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** The sum of the samples of `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe('Prometheus metrics on every service', () => {
  let stack: Stack;
  let s: SmsSender;
  let urls: Record<'gateway' | 'webhooks' | 'voice' | 'numbers' | 'messaging', string>;
  const scrape = async (url: string, token = TOKEN) =>
    http('GET', url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    stack = await Stack.start({ env: { METRICS_TOKEN: TOKEN } });
    s = await smsSender(stack);
    urls = {
      gateway: `${stack.gatewayUrl}/metrics`,
      webhooks: `${stack.webhooksUrl}/metrics`,
      voice: `${stack.voiceUrl}/metrics`,
      numbers: `http://127.0.0.1:${stack.ports.numbersMetrics}/metrics`,
      messaging: `http://127.0.0.1:${stack.ports.messagingMetrics}/metrics`,
    };
  }, 90_000);
  afterAll(() => stack?.stop());

  it('after an SMS and an inbound text answered by the agent, each service reports its series', async () => {
    const to = recipient();
    const sent = await send(s, to);
    expect(sent.status).toBe(202);
    const done = await waitForSms(s, sent.body.message_id, (b) => FINAL.includes(b.status));
    expect(done.status).toBe('delivered');
    const caller = recipient();
    const asked = await inbound(stack, caller, s.from_number, 'Are you open today?');
    expect(asked.deliveries[0].status).toBe(200);
    await waitForReplies(stack, s, caller, 1);

    const text: Record<string, string> = {};
    const m: Record<string, Sample[]> = {};
    for (const [svc, url] of Object.entries(urls)) {
      const res = await scrape(url);
      expect({ svc, status: res.status }).toEqual({ svc, status: 200 });
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      text[svc] = res.body;
      m[svc] = parse(res.body);
      // Every series carries its service; Node's process metrics are there too.
      expect(m[svc].every((x) => x.labels.service === svc)).toBe(true);
      expect(total(m[svc], 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    }

    const g = m.gateway;
    const count = 'nixflex_http_request_duration_seconds_count';
    expect(total(g, count, { method: 'POST', route: '/v1/sms', status: '202' })).toBeGreaterThanOrEqual(1);
    // The id in the path is the route's pattern, never the id itself.
    expect(total(g, count, { method: 'GET', route: '/v1/sms/:id', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(g.some((x) => x.name === count && /\/v1\/sms\/(?!:id)/.test(x.labels.route ?? ''))).toBe(false);
    const rpc = 'nixflex_rpc_duration_seconds_count';
    expect(total(g, rpc, { command: 'sms.send.v1', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(total(g, rpc, { command: 'numbers.import.v2', outcome: 'ok' })).toBe(1);

    const w = m.webhooks;
    expect(total(w, count, { method: 'POST', route: '/twilio/sms-status', status: '200' })).toBeGreaterThan(
      0,
    );
    expect(total(w, count, { method: 'POST', route: '/twilio/sms', status: '200' })).toBe(1);
    const published = 'nixflex_broker_published_total';
    expect(total(w, published, { exchange: 'events', key: 'sms.inbound-received.v1', outcome: 'ok' })).toBe(
      1,
    );

    const msg = m.messaging;
    const status = 'nixflex_sms_status_total';
    expect(total(msg, status, { status: 'queued', error_code: '' })).toBe(2); // the SMS and the agent's reply
    expect(total(msg, status, { status: 'delivered', error_code: '' })).toBeGreaterThanOrEqual(1);
    const consumed = 'nixflex_broker_consumed_total';
    expect(total(msg, consumed, { queue: 'messaging.commands', outcome: 'ack' })).toBeGreaterThanOrEqual(1);
    expect(total(msg, consumed, { queue: 'messaging.events', outcome: 'ack' })).toBeGreaterThanOrEqual(1);
    expect(total(msg, 'nixflex_twilio_request_duration_seconds_count', { operation: 'POST Messages' })).toBe(
      2,
    );
    const llm = { purpose: 'sms', mode: 'complete', outcome: 'ok' };
    expect(total(msg, 'nixflex_llm_request_duration_seconds_count', llm)).toBe(1);
    expect(total(msg, 'nixflex_llm_tokens_total', { purpose: 'sms', kind: 'completion' })).toBeGreaterThan(0);
    expect(total(msg, 'nixflex_outbox_published_total')).toBeGreaterThan(0);
    expect(msg.some((x) => x.name === 'nixflex_outbox_lag_seconds')).toBe(true);

    // Numbers validated the imported account at Twilio and answers commands.
    const n = m.numbers;
    expect(total(n, consumed, { queue: 'numbers.commands', outcome: 'ack' })).toBeGreaterThanOrEqual(1);
    expect(n.some((x) => x.name === 'nixflex_twilio_request_duration_seconds_count')).toBe(true);
    expect(total(m.voice, 'nixflex_voice_active_calls')).toBe(0);

    // Bounded labels only: no number, SID, token or key anywhere in the output.
    const all = Object.values(text).join('\n');
    for (const secret of [
      s.from_number,
      to,
      caller,
      s.twilio.auth_token,
      s.account.api_key,
      TOKEN,
      'test-key',
    ]) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(secret.replace(/^\+/, ''));
    }
    expect(all).not.toMatch(/\b(AC|SM|PN)[0-9a-f]{32}\b/);
  }, 90_000);

  it('voice: a live call counts in active calls, its turn in turn latency and the streamed LLM answer', async () => {
    const line = await voiceLine(stack, { account: s.account });
    const caller = recipient();
    await placeCall(
      stack,
      caller,
      line.phone,
      { steps: [{ say: 'Are you open today?' }, { silence_ms: 2500 }] },
      { wait: false },
    );
    const voice = async () => (await scrape(urls.voice)).body as string;
    const live = await waitFor(
      'a live call with an answered turn',
      async () => {
        const v = parse(await voice());
        return total(v, 'nixflex_voice_active_calls') === 1 &&
          total(v, 'nixflex_voice_turn_first_token_seconds_count') >= 1
          ? v
          : undefined;
      },
      30_000,
      200,
    );
    expect(total(live, 'nixflex_llm_first_token_seconds_count', { purpose: 'voice' })).toBeGreaterThanOrEqual(
      1,
    );
    const text = await waitFor(
      'the call to end',
      async () => {
        const t = await voice();
        return total(parse(t), 'nixflex_voice_active_calls') === 0 ? t : undefined;
      },
      30_000,
      200,
    );
    const ended = parse(text);
    const llm = { purpose: 'voice', mode: 'stream', outcome: 'ok' };
    expect(total(ended, 'nixflex_llm_request_duration_seconds_count', llm)).toBeGreaterThanOrEqual(1);
    for (const number of [caller, line.phone]) expect(text).not.toContain(number.replace(/^\+/, ''));
    expect(text).not.toMatch(/\bCA[0-9a-f]{32}\b/);
  }, 90_000);

  it('answers only a bearer of METRICS_TOKEN, in our error shape, and only GET /metrics on the metrics ports', async () => {
    for (const url of Object.values(urls)) {
      for (const token of ['', 'wrong-token']) {
        const res = await scrape(url, token);
        expect({ url, status: res.status, code: res.body?.error?.code }).toEqual({
          url,
          status: 401,
          code: 'unauthorized',
        });
      }
    }
    const other = await http('GET', urls.numbers.replace('/metrics', '/health'));
    expect([other.status, other.body.error.code]).toEqual([404, 'route_not_found']);
    const post = await http('POST', urls.messaging, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect([post.status, post.body.error.code]).toEqual([405, 'method_not_allowed']);
    // Not part of the public API: outside the OpenAPI document.
    const doc = await http('GET', `${stack.gatewayUrl}/openapi.json`);
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).not.toContain('/metrics');
  });
});
