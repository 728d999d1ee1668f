import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Api } from '../harness/api';
import { ROOT } from '../harness/infra';
import type { Stack } from '../harness/stack';

const run = promisify(execFile);

export interface TestAccount {
  account_id: string;
  key_id: string;
  api_key: string;
  api: Api;
}

/** Runs the real CLI (`npm run cli` runs the same file) against the stack's database. */
export async function cli(stack: Stack, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [path.join(ROOT, 'dist/apps/gateway/src/cli.js'), ...args], {
    env: { ...stack.env },
    cwd: ROOT,
  });
}

export async function createAccount(stack: Stack, name = 'Test Account'): Promise<TestAccount> {
  const { stdout } = await cli(stack, 'accounts:create', '--name', name);
  const issued = JSON.parse(stdout.trim().split('\n').pop()!);
  return { ...issued, api: new Api(stack.gatewayUrl, issued.api_key) };
}
