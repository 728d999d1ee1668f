/**
 * `npm run demo`: walks through the product against a running `npm start`
 * (Twilio sandbox and stub LLM), printing every step as the command a user
 * would type with its answer. Exits 1 at the first step that does not behave
 * as shown. See docs/demo.md.
 *
 *   GATEWAY_URL   default http://localhost:$GATEWAY_PORT (3000)
 *   SANDBOX_URL   default http://127.0.0.1:$SANDBOX_PORT (4010)
 *   LLM_STUB_URL  default http://127.0.0.1:$LLM_STUB_PORT (4020)
 *   DEMO_WAIT_MS  how long to wait for delivery, the reply, the opt-out (30000)
 *   DATABASE_URL and the rest of the configuration: for the CLI that creates the account
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DemoFailure, Runner } from './runner';
import { walkthrough } from './walkthrough';

function repositoryRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist') {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (package.json)');
    dir = up;
  }
  return dir;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`${name} must be a positive integer (milliseconds), got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return n;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

async function main(): Promise<number> {
  const env = process.env;
  const cfg = {
    gatewayUrl: trimSlash(env.GATEWAY_URL || `http://localhost:${env.GATEWAY_PORT || '3000'}`),
    sandboxUrl: trimSlash(env.SANDBOX_URL || `http://127.0.0.1:${env.SANDBOX_PORT || '4010'}`),
    llmStubUrl: trimSlash(env.LLM_STUB_URL || `http://127.0.0.1:${env.LLM_STUB_PORT || '4020'}`),
    root: repositoryRoot(),
    env,
  };
  const r = new Runner({
    requestTimeoutMs: positiveInt('DEMO_REQUEST_TIMEOUT_MS', 15_000),
    waitTimeoutMs: positiveInt('DEMO_WAIT_MS', 30_000),
    write: (text) => process.stdout.write(text),
  });
  r.print('Nixflex demo: every step is the command you would type, then its answer.');
  r.note(`gateway ${cfg.gatewayUrl}, Twilio sandbox ${cfg.sandboxUrl}`);
  try {
    await walkthrough(r, cfg);
  } catch (err) {
    const message = err instanceof DemoFailure ? err.message : ((err as Error).stack ?? String(err));
    r.print('');
    process.stderr.write(`✗ demo failed at ${r.currentStep}: ${message}\n`);
    return 1;
  }
  r.print('\nDemo complete: every step behaved as shown.');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`✗ demo crashed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
