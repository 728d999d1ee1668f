import * as fs from 'node:fs';
import * as path from 'node:path';
import { MODULE_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { OpenAPIObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { TestAccount, createAccount } from '../factories/accounts';
import { importFixture } from '../factories/numbers';
import { FINAL, recipient, waitForSms } from '../factories/sms';
import { ApiResponse, http } from '../harness/api';
import { ROOT } from '../harness/infra';
import { Stack, waitFor } from '../harness/stack';
import { Documented, gatewayOpenApi, toOpenApiPath } from './documented';

/**
 * The OpenAPI document: served without a key, committed and fresh, complete
 * (every route the gateway's router has), and true (real answers of the
 * main flows match the documented schemas).
 */
describe('OpenAPI document', () => {
  const { document: openapi, generate, AppModule } = gatewayOpenApi();
  let stack: Stack;
  let served: OpenAPIObject;
  let documented: Documented;

  beforeAll(async () => {
    stack = await Stack.start();
    const res = await http<OpenAPIObject>('GET', `${stack.gatewayUrl}${openapi.OPENAPI_JSON_PATH}`);
    served = res.body;
    documented = new Documented(served);
  });
  afterAll(() => stack?.stop());

  it('is served at GET /openapi.json and as Swagger UI at GET /docs, without an API key', async () => {
    const json = await http('GET', `${stack.gatewayUrl}/openapi.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.body.openapi).toMatch(/^3\./);

    const ui = await http('GET', `${stack.gatewayUrl}/docs`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/^text\/html/);
    expect(ui.body).toContain('swagger-ui');
    for (const asset of ['/docs/swagger-ui-init.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css']) {
      expect({ asset, status: (await http('GET', `${stack.gatewayUrl}${asset}`)).status }).toEqual({
        asset,
        status: 200,
      });
    }
    // Not a file of the UI: the usual 404.
    const missing = await http('GET', `${stack.gatewayUrl}/docs/nothing-here.js`);
    expect({ status: missing.status, code: missing.body?.error?.code }).toEqual({
      status: 404,
      code: 'route_not_found',
    });
    // The API itself still wants a key.
    const api = await http('GET', `${stack.gatewayUrl}/v1/agents`);
    expect(api.status).toBe(401);
    expect(documented.responseProblems('GET', '/v1/agents', 401, api.body)).toEqual([]);
  });

  it('is the committed docs/openapi.json (npm run openapi regenerates it)', async () => {
    const fresh = await generate.generateOpenApi();
    const committed = fs.readFileSync(path.join(ROOT, generate.OPENAPI_FILE), 'utf8');
    expect(committed).toBe(fresh);
    expect(served).toEqual(JSON.parse(fresh));
  });

  it("describes every route in the gateway's router, with its method, and nothing else", async () => {
    // The gateway module main.ts boots, in preview mode (nothing instantiated), with
    // Fastify reporting each route as Nest's router registers it. The document's own
    // routes (/openapi.json, /docs) are checked over HTTP above: serving the UI needs
    // @fastify/static, an ES module jest cannot load.
    const app = await NestFactory.create<NestFastifyApplication>(AppModule as never, new FastifyAdapter(), {
      preview: true,
      logger: false,
    });
    const routes: string[] = [];
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRoute', (r) => {
        for (const m of [r.method].flat()) routes.push(`${m} ${r.url}`);
      });
    await app.init();
    await app.close();

    const servedRoutes = routes
      .map((r) => r.split(' ') as [string, string])
      .filter(([method]) => method !== 'HEAD')
      .map(([method, url]) => `${method} ${toOpenApiPath(url)}`)
      .sort();
    const documentedRoutes = Object.entries(served.paths)
      .flatMap(([p, item]) =>
        Object.keys(item)
          .filter((k) => ['get', 'post', 'put', 'patch', 'delete'].includes(k))
          .map((m) => `${m.toUpperCase()} ${p}`),
      )
      .sort();
    expect(servedRoutes.length).toBeGreaterThan(15);
    expect(documentedRoutes).toEqual(servedRoutes);

    // Every /v1 operation wants the bearer key and says so, with its 401.
    for (const [p, item] of Object.entries(served.paths)) {
      for (const [m, op] of Object.entries(item as Record<string, any>)) {
        const v1 = p.startsWith('/v1/');
        expect({ op: `${m} ${p}`, security: op.security ?? [] }).toEqual({
          op: `${m} ${p}`,
          security: v1 ? [{ api_key: [] }] : [],
        });
        if (v1) expect(Object.keys(op.responses)).toContain('401');
      }
    }
    expect(served.components?.securitySchemes?.api_key).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('documents exactly the fields the validation accepts, for every body and query', () => {
    // The decorators are explicit, so a field added to a DTO without @ApiProperty would
    // be accepted but undocumented (or documented but refused). Compare both, per route,
    // from Nest's metadata of the gateway's controllers.
    const controllers = new Set<any>();
    const walk = (mod: any): void => {
      const cls = mod?.module ?? mod;
      for (const c of [
        ...(Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, cls) ?? []),
        ...(mod?.controllers ?? []),
      ])
        controllers.add(c);
      for (const m of [...(Reflect.getMetadata(MODULE_METADATA.IMPORTS, cls) ?? []), ...(mod?.imports ?? [])])
        walk(m);
    };
    walk(AppModule);
    const ops = new Map<string, any>();
    for (const item of Object.values(served.paths)) {
      for (const op of Object.values(item as Record<string, any>))
        if (op?.operationId) ops.set(op.operationId, op);
    }
    const validated = (cls: new () => unknown) =>
      [
        ...new Set(
          getMetadataStorage()
            .getTargetValidationMetadatas(cls, '', true, false)
            .map((m) => m.propertyName),
        ),
      ].sort();

    let checked = 0;
    for (const ctrl of controllers) {
      for (const method of Object.getOwnPropertyNames(ctrl.prototype)) {
        if (
          method === 'constructor' ||
          Reflect.getMetadata(PATH_METADATA, ctrl.prototype[method]) === undefined
        )
          continue;
        const op = ops.get(`${ctrl.name.replace(/Controller$/, '')}_${method}`);
        expect({ route: `${ctrl.name}.${method}`, documented: Boolean(op) }).toEqual({
          route: `${ctrl.name}.${method}`,
          documented: true,
        });
        const args: Record<string, { index: number; data?: unknown }> =
          Reflect.getMetadata(ROUTE_ARGS_METADATA, ctrl, method) ?? {};
        const types: (new () => unknown)[] = Reflect.getMetadata('design:paramtypes', ctrl.prototype, method);
        for (const [key, arg] of Object.entries(args)) {
          const kind = Number(key.split(':')[0]) as RouteParamtypes;
          if (arg.data !== undefined || (kind !== RouteParamtypes.BODY && kind !== RouteParamtypes.QUERY))
            continue;
          const cls = types[arg.index];
          const documented =
            kind === RouteParamtypes.BODY
              ? Object.keys(
                  (
                    served.components?.schemas?.[
                      String(op.requestBody.content['application/json'].schema.$ref).split('/').pop()!
                    ] as any
                  ).properties,
                )
              : (op.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => p.name);
          expect({ [`${op.operationId} ${cls.name}`]: documented.sort() }).toEqual({
            [`${op.operationId} ${cls.name}`]: validated(cls),
          });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(11);
  });

  describe('the main flows answer as documented', () => {
    let acct: TestAccount;
    /** Sends one request and checks the answer against the document; returns it. */
    const call = async (
      method: string,
      template: string,
      url: string,
      expected: number,
      body?: unknown,
      headers?: Record<string, string>,
    ): Promise<ApiResponse> => {
      if (body !== undefined) expect(documented.requestProblems(method, template, body)).toEqual([]);
      const res = await acct.api.request(method, url, body, headers);
      expect({ status: res.status, body: res.body }).toMatchObject({ status: expected });
      expect({
        [`${method} ${url} ${res.status}`]: documented.responseProblems(
          method,
          template,
          res.status,
          res.body,
        ),
      }).toEqual({
        [`${method} ${url} ${res.status}`]: [],
      });
      return res;
    };

    beforeAll(async () => {
      acct = await createAccount(stack, 'OpenAPI');
    });

    it('agents, import, get and list a number', async () => {
      const agent = await call('POST', '/v1/agents', '/v1/agents', 201, {
        name: 'Receptionist',
        system_prompt: 'Be kind.',
        webhook_url: 'http://127.0.0.1:9/hook',
      });
      await call('GET', '/v1/agents', '/v1/agents?limit=1', 200);
      await call('GET', '/v1/agents/{id}', `/v1/agents/${agent.body.id}`, 200);
      await call('PATCH', '/v1/agents/{id}', `/v1/agents/${agent.body.id}`, 200, { llm_model: null });

      const f = await importFixture(stack, acct, {
        agent: agent.body,
        extra: {
          custom_prompt: 'Smile Dental, open 9-5.',
          calendar: { api_key: 'cal_live_x', event_type_id: '42' },
        },
      });
      const imported = await call('POST', '/v1/phone-numbers', '/v1/phone-numbers', 201, f.body);
      expect(imported.body.calendar).toEqual({ event_type_id: '42', time_zone: 'Europe/London' });
      const numberPath = `/v1/phone-numbers/${encodeURIComponent(f.phone)}`;
      await call('GET', '/v1/phone-numbers/{phoneNumber}', numberPath, 200);
      await call('PATCH', '/v1/phone-numbers/{phoneNumber}', numberPath, 200, {
        calendar: null,
        voice: null,
      });
      await call('GET', '/v1/phone-numbers', `/v1/phone-numbers?agent_id=${agent.body.id}`, 200);

      // Refusals have the documented envelope and a documented code for their status.
      await call('POST', '/v1/phone-numbers', '/v1/phone-numbers', 409, f.body);
      await call('DELETE', '/v1/agents/{id}', `/v1/agents/${agent.body.id}`, 409);
      await call('POST', '/v1/phone-numbers', '/v1/phone-numbers', 400, { ...f.body, phone_number: '07446' });
      await call('GET', '/v1/phone-numbers', '/v1/phone-numbers?cursor=nope', 400);
      await call('GET', '/v1/agents/{id}', '/v1/agents/agent_0000000000000000', 404);
      await call('DELETE', '/v1/phone-numbers/{phoneNumber}', numberPath, 200);
    });

    it('send an SMS, get it (delivered, with history and conversation) and list it', async () => {
      const agent = await call('POST', '/v1/agents', '/v1/agents', 201, {
        name: 'Sender',
        webhook_url: 'http://127.0.0.1:9/hook',
      });
      const f = await importFixture(stack, acct, { agent: agent.body });
      await call('POST', '/v1/phone-numbers', '/v1/phone-numbers', 201, f.body);
      const to = recipient();
      const sms = { agent_id: agent.body.id, from_number: f.phone, to, message: 'Your appointment is at 9.' };

      const sent = await call('POST', '/v1/sms', '/v1/sms', 202, sms, { 'idempotency-key': 'openapi-1' });
      const long = await call('POST', '/v1/sms', '/v1/sms', 202, { ...sms, message: 'x'.repeat(700) });
      expect(long.body.warnings).toHaveLength(1);

      const sender = { account: acct, agent_id: agent.body.id, from_number: f.phone, twilio: f.twilio };
      await waitForSms(sender, sent.body.message_id, (b) => FINAL.includes(b.status));
      const got = await call('GET', '/v1/sms/{id}', `/v1/sms/${sent.body.message_id}`, 200);
      expect(got.body.twilio_sid).toEqual(expect.any(String));
      expect(got.body.status_history.length).toBeGreaterThan(1);
      await call('GET', '/v1/sms/{id}', `/v1/sms/${got.body.twilio_sid}`, 200);
      const list = await call(
        'GET',
        '/v1/sms',
        `/v1/sms?limit=1&from_number=${encodeURIComponent(f.phone)}`,
        200,
      );
      expect(list.body.next_cursor).toEqual(expect.any(String));
      await call('GET', '/v1/sms', `/v1/sms?cursor=${list.body.next_cursor}`, 200);

      await call(
        'POST',
        '/v1/sms',
        '/v1/sms',
        422,
        { ...sms, message: 'other' },
        { 'idempotency-key': 'openapi-1' },
      );
      await call('POST', '/v1/sms', '/v1/sms', 400, { ...sms, message: ' ' });
      await call('GET', '/v1/sms/{id}', '/v1/sms/msg_0000000000000000', 404);

      // Twilio refuses this recipient with 21610: the message fails, the recipient is
      // recorded as opted out, and an sms.opted_out webhook goes to the agent's URL.
      const refused = await call('POST', '/v1/sms', '/v1/sms', 202, { ...sms, to: recipient('1610') });
      const failed = await waitForSms(sender, refused.body.message_id, (b) => FINAL.includes(b.status));
      expect(failed).toMatchObject({ status: 'failed', error_code: '21610' });
      await call('GET', '/v1/sms/{id}', `/v1/sms/${refused.body.message_id}`, 200);
      const unknownField = { ...sms, colour: 'red' };
      const res = await acct.api.post('/v1/sms', unknownField);
      expect(res.status).toBe(400);
      expect(documented.responseProblems('POST', '/v1/sms', 400, res.body)).toEqual([]);
    });

    it('opt-outs, webhook secret and deliveries', async () => {
      const optOuts = await call('GET', '/v1/opt-outs', '/v1/opt-outs', 200);
      expect(optOuts.body.data).toHaveLength(1);
      await call('GET', '/v1/webhook-secret', '/v1/webhook-secret', 200);
      await call('POST', '/v1/webhook-secret/rotate', '/v1/webhook-secret/rotate', 200);
      // The sms.opted_out event above, for the sender agent's webhook (nothing listens there).
      const page = await waitFor('a webhook delivery', async () => {
        const res = await acct.api.get('/v1/webhook-deliveries?limit=1');
        return res.body?.data?.length ? res : undefined;
      });
      expect(documented.responseProblems('GET', '/v1/webhook-deliveries', 200, page.body)).toEqual([]);
      await call('GET', '/v1/webhook-deliveries/{id}', `/v1/webhook-deliveries/${page.body.data[0].id}`, 200);
      await call('GET', '/v1/webhook-deliveries', '/v1/webhook-deliveries?status=delivered', 200);
      await call('GET', '/v1/webhook-deliveries/{id}', '/v1/webhook-deliveries/whd_0000000000000000', 404);
    });

    it('health', async () => {
      const res = await http('GET', `${stack.gatewayUrl}/health`);
      expect(res.status).toBe(200);
      expect(documented.responseProblems('GET', '/health', 200, res.body)).toEqual([]);
    });

    it('place a call, get it (by id and CallSid, and refused by Twilio) and list it', async () => {
      const agent = await call('POST', '/v1/agents', '/v1/agents', 201, { name: 'Caller' });
      const f = await importFixture(stack, acct, { agent: agent.body });
      await call('POST', '/v1/phone-numbers', '/v1/phone-numbers', 201, f.body);
      const body = {
        agent_id: agent.body.id,
        from_number: f.phone,
        to: recipient(),
        prompt: 'Confirm the 9:00 appointment.',
        first_message: 'Hello from Smile Dental.',
        metadata: { ref: 'a-1' },
      };
      const placed = await call('POST', '/v1/calls', '/v1/calls', 202, body, {
        'idempotency-key': 'openapi-c1',
      });
      const got = await waitFor('the CallSid', async () => {
        const res = await acct.api.get(`/v1/calls/${placed.body.call_id}`);
        return res.body?.twilio_sid ? res : undefined;
      });
      await call('GET', '/v1/calls/{id}', `/v1/calls/${placed.body.call_id}`, 200);
      await call('GET', '/v1/calls/{id}', `/v1/calls/${got.body.twilio_sid}`, 200);
      const refused = await call('POST', '/v1/calls', '/v1/calls', 202, { ...body, to: recipient('1211') });
      await waitFor('the refused call to fail', async () => {
        const res = await acct.api.get(`/v1/calls/${refused.body.call_id}`);
        return res.body?.status === 'failed' ? res : undefined;
      });
      await call('GET', '/v1/calls/{id}', `/v1/calls/${refused.body.call_id}`, 200);
      const list = await call(
        'GET',
        '/v1/calls',
        `/v1/calls?limit=1&phone_number=${encodeURIComponent(f.phone)}`,
        200,
      );
      await call('GET', '/v1/calls', `/v1/calls?cursor=${list.body.next_cursor}`, 200);

      await call(
        'POST',
        '/v1/calls',
        '/v1/calls',
        422,
        { ...body, prompt: 'other' },
        { 'idempotency-key': 'openapi-c1' },
      );
      await call('POST', '/v1/calls', '/v1/calls', 400, { ...body, to: '07446' });
      await call('POST', '/v1/calls', '/v1/calls', 404, { ...body, from_number: '+447700900123' });
      await call('GET', '/v1/calls/{id}', '/v1/calls/call_0000000000000000', 404);
    });
  });
});
