import { createAccount, TestAccount } from '../factories/accounts';
import { Stack, waitFor } from '../harness/stack';

describe('a service killed while a command is in flight', () => {
  let stack: Stack;
  let acme: TestAccount;

  beforeAll(async () => {
    stack = await Stack.start({ env: { RPC_TIMEOUT_MS: '15000' } });
    acme = await createAccount(stack);
  });
  afterAll(() => stack?.stop());

  it('keeps the command in its durable queue and answers once the service is back', async () => {
    await stack.kill('numbers');
    const pending = acme.api.post('/v1/agents', { name: 'Survivor' });
    // The command waits in numbers' durable queue while nothing consumes it.
    await new Promise((r) => setTimeout(r, 1000));
    stack.spawn('numbers');
    const res = await pending;
    expect(res.status).toBe(201);
    const rows = await stack.sql(`SELECT id FROM numbers.agents WHERE name = 'Survivor'`);
    expect(rows).toEqual([{ id: res.body.id }]);
  });

  it('answers 504 upstream_timeout when the service stays away, and still runs the command later', async () => {
    const fast = await Stack.start({ env: { RPC_TIMEOUT_MS: '1500' } });
    try {
      const acct = await createAccount(fast);
      await fast.kill('numbers');
      const res = await acct.api.post('/v1/agents', { name: 'Late' });
      expect(res.status).toBe(504);
      expect(res.body.error.code).toBe('upstream_timeout');
      fast.spawn('numbers');
      const rows = await waitFor('late agent', async () => {
        const r = await fast.sql(`SELECT id FROM numbers.agents WHERE name = 'Late'`);
        return r.length > 0 ? r : undefined;
      });
      expect(rows).toHaveLength(1);
    } finally {
      await fast.stop();
    }
  });

  it('does not lose events: the outbox relays what was committed before a crash', async () => {
    // Agent changes are written with an outbox row in the same transaction.
    const created = await acme.api.post('/v1/agents', { name: 'Evented' });
    expect(created.status).toBe(201);
    await waitFor('outbox drained', async () => {
      const rows = await stack.sql(`SELECT count(*)::int AS n FROM numbers.outbox`);
      return rows[0].n === 0 ? true : undefined;
    });
  });
});
