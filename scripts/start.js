#!/usr/bin/env node
/**
 * `npm start`: build if needed, migrate, then run the four services as separate
 * processes, plus the Twilio sandbox and the stub LLM while the configuration
 * points at them (the local default). Logs are prefixed with the process name;
 * a process that dies is restarted; Ctrl-C stops everything.
 * `node scripts/start.js gateway` (etc.) runs one process in the foreground.
 */
const { spawn, execFileSync } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

const root = path.resolve(__dirname, '..');
execFileSync(process.execPath, [path.join(__dirname, 'ensure-built.js')], { stdio: 'inherit', cwd: root });

const sandboxPort = process.env.SANDBOX_PORT || '4010';
const llmPort = process.env.LLM_STUB_PORT || '4020';
const env = {
  ...process.env,
  TWILIO_API_BASE_URL: process.env.TWILIO_API_BASE_URL || `http://127.0.0.1:${sandboxPort}`,
  LLM_BASE_URL: process.env.LLM_BASE_URL ?? `http://127.0.0.1:${llmPort}/v1`,
  LLM_API_KEY: process.env.LLM_API_KEY || 'local-stub',
  LLM_MODEL: process.env.LLM_MODEL || 'stub-model',
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
      'numbers',
      'messaging',
      'webhooks',
      'gateway',
    ];

if (!only) {
  execFileSync(process.execPath, ['dist/libs/common/src/db/migrate.cli.js'], {
    stdio: 'inherit',
    cwd: root,
    env,
  });
}

const children = new Map();
let stopping = false;
const width = Math.max(...names.map((n) => n.length));

function run(name) {
  const child = spawn(process.execPath, ['--enable-source-maps', ENTRY[name]], {
    cwd: root,
    env,
    stdio: only ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
  children.set(name, child);
  if (!only) {
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        process.stdout.write(`[${name.padEnd(width)}] ${line}\n`);
      });
    }
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) return;
    if (only) process.exit(code ?? 1);
    console.log(`[${name.padEnd(width)}] exited (${signal ?? code}); restarting in 1 s`);
    setTimeout(() => !stopping && run(name), 1000);
  });
}

function stop() {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(0);
  }, 10000);
  deadline.unref();
  const check = setInterval(() => {
    if (children.size === 0) {
      clearInterval(check);
      process.exit(0);
    }
  }, 100);
}

process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const name of names) run(name);
