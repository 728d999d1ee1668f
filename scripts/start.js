#!/usr/bin/env node
/**
 * `npm start`: build if needed, check the configuration and that Postgres and
 * RabbitMQ answer, create the database if it does not exist, migrate, then run
 * the five services as separate processes, plus the Twilio sandbox, the stub
 * LLM and the Cal.com sandbox while the configuration points at them (the
 * local default). Logs are
 * prefixed with the process name; Ctrl-C stops everything.
 *
 * A problem found before the services start (bad environment, Postgres or
 * RabbitMQ unreachable, a failed migration) is one line saying what to do and
 * a non-zero exit: nothing is started, nothing restarts. A process that dies
 * later is restarted (with a growing delay if it keeps dying at once), unless
 * it exits with 78 (a configuration problem no restart can fix): then
 * everything stops with that code.
 *
 * `node scripts/start.js gateway` (etc.) runs one process in the foreground;
 * the service itself creates the database and migrates its own schema.
 */
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

const EXIT_CONFIG = 78;
const root = path.resolve(__dirname, '..');

/** Runs one preparation step in the foreground; its own output says why it failed. */
function step(args, env) {
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root, env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

step([path.join(__dirname, 'ensure-built.js')], process.env);

const sandboxPort = process.env.SANDBOX_PORT || '4010';
const llmPort = process.env.LLM_STUB_PORT || '4020';
const calcomPort = process.env.CALCOM_SANDBOX_PORT || '4030';
const env = {
  ...process.env,
  TWILIO_API_BASE_URL: process.env.TWILIO_API_BASE_URL || `http://127.0.0.1:${sandboxPort}`,
  LLM_BASE_URL: process.env.LLM_BASE_URL ?? `http://127.0.0.1:${llmPort}/v1`,
  LLM_API_KEY: process.env.LLM_API_KEY || 'local-stub',
  LLM_MODEL: process.env.LLM_MODEL || 'stub-model',
  CALCOM_API_BASE_URL: process.env.CALCOM_API_BASE_URL || `http://127.0.0.1:${calcomPort}`,
};

const ENTRY = require('./processes.json');

const isLocal = (url) => /^https?:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/.test(url || '');
const only = process.argv[2];
if (only && !ENTRY[only]) {
  console.error(`unknown process "${only}"; one of ${Object.keys(ENTRY).join(', ')}`);
  process.exit(2);
}

const names = only
  ? [only]
  : [
      ...(isLocal(env.TWILIO_API_BASE_URL) ? ['sandbox'] : []),
      ...(isLocal(env.LLM_BASE_URL) ? ['llm-stub'] : []),
      ...(isLocal(env.CALCOM_API_BASE_URL) ? ['calcom-sandbox'] : []),
      'numbers',
      'messaging',
      'webhooks',
      'voice',
      'gateway',
    ];

if (!only) step(['dist/libs/common/src/db/migrate.cli.js', '--preflight'], env);

const children = new Map();
const restarts = new Map();
let stopping = false;
const width = Math.max(...names.map((n) => n.length));
const tag = (name) => `[${name.padEnd(width)}]`;

function run(name) {
  const startedAt = Date.now();
  const child = spawn(process.execPath, ['--enable-source-maps', ENTRY[name]], {
    cwd: root,
    env,
    stdio: only ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
  children.set(name, child);
  if (!only) {
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        process.stdout.write(`${tag(name)} ${line}\n`);
      });
    }
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) return;
    if (only) process.exit(code ?? 1);
    if (code === EXIT_CONFIG) {
      console.log(`${tag(name)} exited (${code}): a configuration problem, see above; stopping everything`);
      stop(EXIT_CONFIG);
      return;
    }
    // Dying again right after a restart: wait longer each time (1 s, 2 s, ... 30 s).
    const previous = restarts.get(name) ?? 0;
    const delay = Date.now() - startedAt < 10_000 ? Math.min(Math.max(previous * 2, 1000), 30_000) : 1000;
    restarts.set(name, delay);
    console.log(`${tag(name)} exited (${signal ?? code}); restarting in ${delay / 1000} s`);
    setTimeout(() => !stopping && run(name), delay);
  });
}

function stop(exitCode = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(exitCode);
  }, 10000);
  deadline.unref();
  const check = setInterval(() => {
    if (children.size === 0) {
      clearInterval(check);
      process.exit(exitCode);
    }
  }, 100);
}

process.on('SIGINT', () => stop());
process.on('SIGTERM', () => stop());
for (const name of names) run(name);
