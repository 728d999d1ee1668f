import fc from 'fast-check';
import { createAccount, TestAccount } from '../factories/accounts';
import { http } from '../harness/api';
import { Stack } from '../harness/stack';

/**
 * Fuzzed bodies, query strings, path parameters and headers on every public
 * endpoint: never a 5xx, and nothing stored. Every generated request carries
 * at least one defect (an unknown field, a broken body, bad credentials), so
 * "nothing stored" is the right expectation for all of them.
 */
type Route = { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; fields: string[] };

const ROUTES: Route[] = [
  {
    method: 'POST',
    path: '/v1/agents',
    fields: ['name', 'system_prompt', 'voice', 'webhook_url', 'post_call_sms_template', 'llm_model'],
  },
  { method: 'PATCH', path: '/v1/agents/:agent', fields: ['name', 'system_prompt', 'voice', 'webhook_url'] },
  { method: 'DELETE', path: '/v1/agents/:id', fields: [] },
  { method: 'GET', path: '/v1/agents', fields: [] },
  { method: 'GET', path: '/v1/agents/:id', fields: [] },
  {
    method: 'POST',
    path: '/v1/phone-numbers',
    fields: ['phone_number', 'twilio_sid', 'twilio_token', 'agent_id', 'custom_prompt'],
  },
  { method: 'PATCH', path: '/v1/phone-numbers/:number', fields: ['custom_prompt', 'voice', 'webhook_url'] },
  { method: 'DELETE', path: '/v1/phone-numbers/:id', fields: [] },
  { method: 'GET', path: '/v1/phone-numbers', fields: [] },
  { method: 'GET', path: '/v1/phone-numbers/:id', fields: [] },
  { method: 'POST', path: '/v1/sms', fields: ['agent_id', 'to', 'from_number', 'message'] },
  { method: 'GET', path: '/v1/sms', fields: [] },
  { method: 'GET', path: '/v1/sms/:id', fields: [] },
  {
    method: 'POST',
    path: '/v1/calls',
    fields: ['agent_id', 'to', 'from_number', 'prompt', 'first_message', 'metadata'],
  },
  { method: 'GET', path: '/v1/calls', fields: [] },
  { method: 'GET', path: '/v1/calls/:id', fields: [] },
  { method: 'GET', path: '/v1/opt-outs', fields: [] },
  { method: 'GET', path: '/v1/webhook-secret', fields: [] },
  { method: 'GET', path: '/v1/webhook-deliveries', fields: [] },
];

const WEBHOOK_PATHS = ['/twilio/sms', '/twilio/sms-status', '/twilio/voice', '/twilio/voice-status'];

const nasty = fc.oneof(
  fc.anything(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    ' ',
    '+',
    '++447446466847',
    '+44\u0000',
    '%2B',
    '../../etc',
    '\uD800',
    'null',
    '{}',
    'A'.repeat(20000),
  ),
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.array(fc.anything(), { maxLength: 3 }),
);

const pathParam = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '%2B447446466847',
    '%FF',
    '%00',
    'agent_0000000000000000',
    '..',
    '%2e%2e',
    'x'.repeat(3000),
  ),
);

function fillPath(path: string, param: string): string {
  return path.replace(/:[a-z]+/, encodeURIComponent(param));
}

describe('fuzzed requests to every public endpoint', () => {
  let stack: Stack;
  let acct: TestAccount;
  let before: Record<string, number>;

  async function rowCounts(): Promise<Record<string, number>> {
    const tables = await stack.sql<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
       WHERE table_schema IN ('gateway','numbers','messaging','webhooks','voice') AND table_type = 'BASE TABLE'
         AND table_name NOT IN ('migrations')`,
    );
    const out: Record<string, number> = {};
    for (const t of tables) {
      const [{ n }] = await stack.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${t.schema}"."${t.name}"`,
      );
      out[`${t.schema}.${t.name}`] = n;
    }
    return out;
  }

  beforeAll(async () => {
    stack = await Stack.start({ env: { LOG_LEVEL: 'error' } });
    acct = await createAccount(stack);
    // The webhook secret is created on first read, which is a valid request; read it before counting.
    await acct.api.get('/v1/webhook-secret');
    before = await rowCounts();
  });
  afterAll(() => stack?.stop());

  it('never answers 5xx to fuzzed JSON bodies, query strings and path parameters', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.dictionary(fc.string({ maxLength: 12 }), nasty, { maxKeys: 4 }),
        fc.array(nasty, { minLength: 6, maxLength: 6 }),
        pathParam,
        fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 30 }), {
          maxKeys: 3,
        }),
        fc.boolean(),
        async (route, extra, values, param, query, authed) => {
          const body: Record<string, unknown> = { __fuzz_unknown_field: true, ...extra };
          route.fields.forEach((f, i) => (body[f] = values[i % values.length]));
          const qs = new URLSearchParams(query).toString();
          const url = `${stack.gatewayUrl}${fillPath(route.path, param)}${qs ? `?${qs}` : ''}`;
          const res = await http(route.method, url, {
            body: route.method === 'GET' || route.method === 'DELETE' ? undefined : body,
            headers: authed ? { authorization: `Bearer ${acct.api_key}` } : {},
          });
          if (res.status >= 500)
            throw new Error(`${route.method} ${url} -> ${res.status} ${JSON.stringify(res.body)}`);
          if (res.status >= 400) expect(typeof res.body?.error?.code).toBe('string');
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('never answers 5xx to broken bodies, content types and headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES.filter((r) => r.method === 'POST' || r.method === 'PATCH')),
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.constantFrom('{', '[]', 'null', '"x"', '{"a":', '\u0000', '{"name":"x"}garbage', '1e999'),
        ),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=latin1',
          '',
        ),
        fc.oneof(
          fc.constant(`Bearer ${'x'.repeat(5000)}`),
          fc.string({ maxLength: 80 }).map((s) => `Bearer ${s}`),
          fc.string({ maxLength: 80 }),
        ),
        async (route, raw, contentType, authorization) => {
          const url = `${stack.gatewayUrl}${fillPath(route.path, 'agent_0000000000000000')}`;
          const headers: Record<string, string> = { authorization: authorization.replace(/[\r\n\0]/g, '') };
          if (contentType) headers['content-type'] = contentType;
          const res = await http(route.method, url, { raw, headers }).catch((e: Error) => {
            // fetch refuses some header values itself; nothing reached the server.
            if (/header|ByteString/i.test(e.message)) return { status: 0, body: undefined };
            throw e;
          });
          if (res.status >= 500) throw new Error(`${route.method} ${url} (${contentType}) -> ${res.status}`);
        },
      ),
      { numRuns: 800 },
    );
  });

  it('never answers 5xx on the Twilio webhook endpoints, and accepts nothing unsigned', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...WEBHOOK_PATHS),
        fc.dictionary(
          fc.constantFrom(
            'MessageSid',
            'From',
            'To',
            'Body',
            'MessageStatus',
            'AccountSid',
            'ErrorCode',
            'x',
          ),
          fc.string({ maxLength: 40 }),
        ),
        fc.option(fc.string({ maxLength: 40 })),
        async (path, form, signature) => {
          const res = await http('POST', `${stack.webhooksUrl}${path}`, {
            raw: new URLSearchParams(form).toString(),
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              ...(signature !== null ? { 'x-twilio-signature': signature.replace(/[\r\n\0]/g, '') } : {}),
            },
          });
          if (res.status >= 500) throw new Error(`POST ${path} -> ${res.status}`);
          expect(res.status).toBeGreaterThanOrEqual(400);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('stored nothing', async () => {
    expect(await rowCounts()).toEqual(before);
  });
});
