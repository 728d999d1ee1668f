/**
 * Boots a whole, isolated Nixflex stack for one test file: its own database
 * (cloned from the run's migrated template), its own broker namespace, free
 * ports, the Twilio sandbox, the stub LLM and the Cal.com sandbox, and the
 * five compiled services
 * as separate processes - the same binaries `npm start` runs.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as amqp from 'amqplib';
import { Client } from 'pg';
import PROCESSES from '../../scripts/processes.json';
import { ROOT, adminQuery, databaseUrl, rabbitmqUrl, templateDatabase } from './infra';

export type ProcessName =
  'gateway' | 'numbers' | 'messaging' | 'webhooks' | 'voice' | 'sandbox' | 'llm-stub' | 'calcom-sandbox';

const ENTRY: Record<ProcessName, string> = PROCESSES;

export const SERVICE_NAMES = ['numbers', 'messaging', 'webhooks', 'voice', 'gateway'] as const;

export interface StackOptions {
  /** Extra environment for the services (e.g. LLM_BASE_URL: '' to run without an LLM). */
  env?: Record<string, string>;
}

/**
 * Ports for test servers come from below the kernel's ephemeral range
 * (32768-60999 on Linux). A port that `listen(0)` reported free is in that
 * range, so any outgoing connection (a Postgres pool, an AMQP channel) could
 * take it as its source port before the service binds it, and the service
 * then failed to start with EADDRINUSE. Here a random port of 20000-32767 is
 * tried until one binds; only listeners use that range.
 */
const TEST_PORTS = { from: 20000, to: 32767 };
const takenHere = new Set<number>();

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = TEST_PORTS.from + Math.floor(Math.random() * (TEST_PORTS.to - TEST_PORTS.from + 1));
    if (takenHere.has(port)) continue;
    if (await canListen(port)) {
      takenHere.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${TEST_PORTS.from}-${TEST_PORTS.to}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 20000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export class Stack {
  readonly procs = new Map<ProcessName, ChildProcess>();
  readonly logFile: string;

  private constructor(
    readonly id: string,
    readonly dbName: string,
    readonly env: Record<string, string>,
    readonly ports: Record<
      'gateway' | 'webhooks' | 'voice' | 'sandbox' | 'llm' | 'calcom' | 'numbersMetrics' | 'messagingMetrics',
      number
    >,
  ) {
    this.logFile = path.join(os.tmpdir(), `nixflex-stack-${id}.log`);
  }

  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.ports.gateway}`;
  }
  get webhooksUrl(): string {
    return `http://127.0.0.1:${this.ports.webhooks}`;
  }
  get voiceUrl(): string {
    return `http://127.0.0.1:${this.ports.voice}`;
  }
  get sandboxUrl(): string {
    return `http://127.0.0.1:${this.ports.sandbox}`;
  }
  get llmUrl(): string {
    return `http://127.0.0.1:${this.ports.llm}`;
  }
  /** The Cal.com sandbox (tools/calcom-sandbox), CALCOM_API_BASE_URL of every service. */
  get calcomUrl(): string {
    return `http://127.0.0.1:${this.ports.calcom}`;
  }
  get databaseUrl(): string {
    return this.env.DATABASE_URL;
  }
  get prefix(): string {
    return this.env.BROKER_PREFIX;
  }

  static async start(opts: StackOptions = {}): Promise<Stack> {
    const id = randomBytes(4).toString('hex');
    const dbName = `nixflex_test_${process.env.NIXFLEX_TEST_RUN}_${id}`;
    await adminQuery(`CREATE DATABASE "${dbName}" TEMPLATE "${templateDatabase()}"`);
    const ports = {
      gateway: await freePort(),
      webhooks: await freePort(),
      voice: await freePort(),
      sandbox: await freePort(),
      llm: await freePort(),
      calcom: await freePort(),
      numbersMetrics: await freePort(),
      messagingMetrics: await freePort(),
    };
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.STACK_LOG_LEVEL ?? 'log',
      DATABASE_URL: databaseUrl(dbName),
      RABBITMQ_URL: rabbitmqUrl(),
      BROKER_PREFIX: `test.${id}`,
      // Redis (SMS pacing) is shared by every test file: each stack has its own keys.
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `test.${id}:`,
      BROKER_RETRY_DELAY_MS: '200',
      GATEWAY_PORT: String(ports.gateway),
      WEBHOOKS_PORT: String(ports.webhooks),
      VOICE_PORT: String(ports.voice),
      NUMBERS_METRICS_PORT: String(ports.numbersMetrics),
      MESSAGING_METRICS_PORT: String(ports.messagingMetrics),
      HOST: '127.0.0.1',
      PUBLIC_WEBHOOK_BASE_URL: `http://127.0.0.1:${ports.webhooks}`,
      TWILIO_API_BASE_URL: `http://127.0.0.1:${ports.sandbox}`,
      SANDBOX_PORT: String(ports.sandbox),
      LLM_STUB_PORT: String(ports.llm),
      LLM_BASE_URL: `http://127.0.0.1:${ports.llm}/v1`,
      LLM_API_KEY: 'test-key',
      LLM_MODEL: 'stub-model',
      CALCOM_API_BASE_URL: `http://127.0.0.1:${ports.calcom}`,
      CALCOM_SANDBOX_PORT: String(ports.calcom),
      ALLOW_LOOPBACK_WEBHOOKS: 'true',
      // A call's summary is one more LLM request after the call; tests that want it turn it on.
      VOICE_CALL_SUMMARY: 'false',
      ...opts.env,
    };
    const stack = new Stack(id, dbName, env, ports);
    try {
      stack.spawn('sandbox');
      stack.spawn('llm-stub');
      stack.spawn('calcom-sandbox');
      await stack.waitHttp(`${stack.sandboxUrl}/__admin/health`);
      await stack.waitHttp(`${stack.calcomUrl}/__admin/health`);
      await stack.waitHttp(`${stack.llmUrl}/__admin/requests`);
      for (const svc of SERVICE_NAMES) stack.spawn(svc);
      await stack.waitHealthy();
    } catch (err) {
      await stack.stop();
      throw new Error(`${(err as Error).message}\n--- stack log (${stack.logFile}) ---\n${stack.logTail()}`);
    }
    return stack;
  }

  spawn(name: ProcessName): ChildProcess {
    const out = fs.openSync(this.logFile, 'a');
    // STACK_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", reaches every service (profiling).
    const extra = (process.env.STACK_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...extra, '--enable-source-maps', path.join(ROOT, ENTRY[name])], {
      cwd: ROOT,
      env: this.env,
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    this.procs.set(name, child);
    child.on('exit', () => {
      if (this.procs.get(name) === child) this.procs.delete(name);
    });
    return child;
  }

  /** kill -9: no shutdown hooks, no acks, nothing flushed. */
  async kill(name: ProcessName, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.procs.get(name);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  /** SIGTERM, as an orchestrator stops a container: how long the process took to exit, and how. */
  async terminate(name: ProcessName): Promise<{ ms: number; code: number | null; signal: string | null }> {
    const child = this.procs.get(name);
    if (!child || child.exitCode !== null) throw new Error(`${name} is not running`);
    const started = Date.now();
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
      child.once('exit', (code, signal) => r({ code, signal })),
    );
    child.kill('SIGTERM');
    return { ...(await exited), ms: Date.now() - started };
  }

  async restart(name: ProcessName): Promise<void> {
    await this.kill(name);
    this.spawn(name);
  }

  async waitHttp(url: string, timeoutMs = 20000): Promise<void> {
    await waitFor(url, async () => (await fetch(url)).status < 500, timeoutMs);
  }

  /** Gateway /health is 200 only when every service answered over RabbitMQ. */
  async waitHealthy(timeoutMs = 45000): Promise<void> {
    await waitFor(
      'all services healthy',
      async () => {
        const res = await fetch(`${this.gatewayUrl}/health`);
        return res.status === 200;
      },
      timeoutMs,
      100,
    );
  }

  logTail(lines = 80): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** One SQL query against this stack's database. */
  async sql<T = any>(query: string, params: unknown[] = []): Promise<T[]> {
    const c = new Client({ connectionString: this.databaseUrl });
    await c.connect();
    try {
      return (await c.query(query, params)).rows as T[];
    } finally {
      await c.end();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((n) => this.kill(n, 'SIGKILL')));
    await deleteBrokerNamespace(this.env.BROKER_PREFIX).catch(() => undefined);
    await adminQuery(`DROP DATABASE IF EXISTS "${this.dbName}" WITH (FORCE)`).catch(() => undefined);
  }
}

export async function deleteBrokerNamespace(prefix: string): Promise<void> {
  const conn = await amqp.connect(rabbitmqUrl());
  try {
    for (const svc of SERVICE_NAMES) {
      for (const q of ['commands', 'events', 'retry', 'dead']) {
        const ch = await conn.createChannel();
        ch.on('error', () => undefined);
        await ch.deleteQueue(`${prefix}.${svc}.${q}`).catch(() => undefined);
        await ch.close().catch(() => undefined);
      }
    }
    for (const ex of ['commands', 'events', 'dlx']) {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await ch.deleteExchange(`${prefix}.${ex}`).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  } finally {
    await conn.close();
  }
}
