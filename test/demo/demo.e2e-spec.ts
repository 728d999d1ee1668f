import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { llmBehaviour } from '../factories/inbound';
import { sandboxAdmin } from '../factories/sms';
import { ROOT } from '../harness/infra';
import { Stack, freePort } from '../harness/stack';

interface DemoRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the compiled demo (what `npm run demo` runs) against the stack, as a separate process. */
function runDemo(stack: Stack, env: Record<string, string> = {}): Promise<DemoRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'dist/tools/demo/src/main.js')],
      {
        cwd: ROOT,
        env: {
          ...stack.env,
          GATEWAY_URL: stack.gatewayUrl,
          SANDBOX_URL: stack.sandboxUrl,
          LLM_STUB_URL: stack.llmUrl,
          ...env,
        },
        timeout: 90_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('npm run demo', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start();
  }, 60_000);
  afterAll(() => stack?.stop());

  it('walks through the product and exits 0, run after run against the same system', async () => {
    const outputs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await runDemo(stack);
      if (run.code !== 0)
        throw new Error(`demo exited ${run.code}\n${run.stderr}\n${run.stdout.slice(-3000)}`);
      const out = run.stdout;
      for (const line of [
        '$ npm run cli -- accounts:create --name',
        `$ curl -sS -X POST ${stack.gatewayUrl}/v1/agents \\`,
        '    -H "Authorization: Bearer $API_KEY" \\',
        `"twilio_token":"'"$TWILIO_TOKEN"'"`,
        'HTTP 201',
        '"status": "delivered"',
        `"sms_url": "${stack.env.PUBLIC_WEBHOOK_BASE_URL}/twilio/sms"`,
        'stub reply to: \\"Can I come in on Friday afternoon?\\"',
        'BUSINESS PROFILE',
        '✓ outbound → inbound → agent reply',
        '"keyword": "STOP"',
        'HTTP 422',
        '"code": "recipient_opted_out"',
        '"webhooks": "restored"',
        '"sms_url": "https://old-system.example.com/sms"',
        'Demo complete: every step behaved as shown.',
      ]) {
        expect(out).toContain(line);
      }
      expect(run.stderr).toBe('');
      outputs.push(out);
    }

    // Secrets: neither a Twilio token nor an API key's secret is ever printed in full.
    const accounts = await sandboxAdmin<{ auth_token: string }[]>(stack, 'GET', '/accounts');
    expect(accounts).toHaveLength(3);
    for (const out of outputs) {
      for (const a of accounts) expect(out).not.toContain(a.auth_token);
      expect(out).not.toMatch(/sk_[A-Za-z0-9_-]{12,}/);
    }

    // What the demo left behind: numbers back on their old webhooks, none still imported.
    const numbers = await sandboxAdmin<{ sms_url: string }[]>(stack, 'GET', '/numbers');
    expect(numbers).toHaveLength(3);
    for (const n of numbers) expect(n.sms_url).toBe('https://old-system.example.com/sms');
    expect(await stack.sql('SELECT 1 FROM numbers.phone_numbers')).toHaveLength(0);
    expect(await stack.sql('SELECT 1 FROM gateway.accounts')).toHaveLength(3);
  }, 240_000);

  it('exits 1 naming the step when the gateway does not answer', async () => {
    const run = await runDemo(stack, { GATEWAY_URL: `http://127.0.0.1:${await freePort()}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/demo failed at step 1 \(The system is up\): GET .*\/health got no answer/);
    expect(run.stdout).not.toContain('Demo complete');
  });

  it('exits 1 at the Twilio step when the sandbox URL is wrong', async () => {
    const run = await runDemo(stack, { SANDBOX_URL: `http://127.0.0.1:${await freePort()}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/demo failed at step 4 \(Create the customer's Twilio account/);
    expect(run.stdout).toContain('✓ agent agent_');
  });

  it('exits 1 when the agent never answers (the LLM fails)', async () => {
    await llmBehaviour(stack, { fail: { status: 500, count: 1000 } });
    try {
      const run = await runDemo(stack, { DEMO_WAIT_MS: '4000' });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/demo failed at step 11 \(The agent's answer\): .*within 4000 ms/);
      expect(run.stdout).toContain('"status": "delivered"');
    } finally {
      await llmBehaviour(stack, { fail: null });
    }
  }, 60_000);
});
