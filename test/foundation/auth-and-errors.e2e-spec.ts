import { cli, createAccount, TestAccount } from '../factories/accounts';
import { Api, http } from '../harness/api';
import { Stack } from '../harness/stack';

describe('gateway: authentication, error shape, request over RabbitMQ to a service and back', () => {
  let stack: Stack;
  let acme: TestAccount;

  beforeAll(async () => {
    stack = await Stack.start();
    acme = await createAccount(stack, 'Acme Dental');
  });
  afterAll(() => stack?.stop());

  it('reports every service healthy over RabbitMQ', async () => {
    const res = await http('GET', `${stack.gatewayUrl}/health`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      database: 'up',
      broker: 'up',
      redis: 'up',
      services: { numbers: 'up', messaging: 'up', webhooks: 'up', voice: 'up' },
    });
    expect((await http('GET', `${stack.webhooksUrl}/health`)).status).toBe(200);
  });

  it('prints one line of JSON from the CLI and stores only a hash of the secret', async () => {
    expect(acme.account_id).toMatch(/^acct_[0-9a-f]{16}$/);
    expect(acme.api_key).toBe(`${acme.key_id}:${acme.api_key.split(':')[1]}`);
    const [row] = await stack.sql(`SELECT secret_hash FROM gateway.api_keys WHERE id = $1`, [acme.key_id]);
    const secret = acme.api_key.split(':')[1];
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await stack.sql(`SELECT * FROM gateway.api_keys`))).not.toContain(secret);
  });

  it.each([
    ['missing', undefined],
    ['malformed', 'Token abc'],
    ['no secret', 'Bearer key_123'],
    ['unknown key', 'Bearer key_0000000000000000:sk_nope'],
  ])('rejects a %s key with 401 unauthorized', async (_label, header) => {
    const res = await http('GET', `${stack.gatewayUrl}/v1/agents`, {
      headers: header ? { authorization: header } : {},
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('rejects a right key id with a wrong secret, and a revoked key', async () => {
    const wrong = new Api(stack.gatewayUrl, `${acme.key_id}:sk_wrongsecret`);
    expect((await wrong.get('/v1/agents')).status).toBe(401);

    const { stdout } = await cli(stack, 'keys:create', '--account', acme.account_id);
    const second = JSON.parse(stdout);
    const api = new Api(stack.gatewayUrl, second.api_key);
    expect((await api.get('/v1/agents')).status).toBe(200);
    await cli(stack, 'keys:revoke', second.key_id);
    const res = await api.get('/v1/agents');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('creates an agent through RabbitMQ in the numbers service and reads it back', async () => {
    const created = await acme.api.post('/v1/agents', { name: 'Receptionist', system_prompt: 'Be warm.' });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^agent_[0-9a-f]{16}$/);
    const rows = await stack.sql(`SELECT name, account_id FROM numbers.agents WHERE id = $1`, [
      created.body.id,
    ]);
    expect(rows).toEqual([{ name: 'Receptionist', account_id: acme.account_id }]);
    const got = await acme.api.get(`/v1/agents/${created.body.id}`);
    expect(got.body).toEqual(created.body);
  });

  it('answers unknown fields with 400 validation_failed naming each field', async () => {
    const res = await acme.api.post('/v1/agents', { name: 'x', colour: 'blue', voice: 7 });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['colour', 'voice']);
  });

  it('answers a body that is not JSON, an unknown route and a bad cursor with coded errors', async () => {
    const bad = await http('POST', `${stack.gatewayUrl}/v1/agents`, {
      raw: '{"name":',
      headers: { authorization: `Bearer ${acme.api_key}`, 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    const missing = await acme.api.get('/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('route_not_found');
    const cursor = await acme.api.get('/v1/agents?cursor=garbage');
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.code).toBe('invalid_cursor');
  });

  it('carries a service error across RabbitMQ with its code and status', async () => {
    const res = await acme.api.get('/v1/agents/agent_0000000000000000');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: { code: 'agent_not_found', message: 'No agent agent_0000000000000000 in this account' },
    });
  });
});
