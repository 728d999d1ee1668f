/**
 * The Docker image builds and runs, checked without a Docker engine (our
 * machines have none): the Dockerfile is parsed, not restated here. Its build
 * stage is replayed in an empty folder (exactly the files its COPY lines name,
 * minus .dockerignore, then its RUN lines, `npm ci` from the registry
 * included), its runtime stage assembled from that folder the way its
 * `COPY --from` lines say, and the cluster docker-compose.yml describes is
 * started from the runtime folder alone, on a database that does not exist yet.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import PROCESSES from '../../scripts/processes.json';
import { parseDockerfile, replayStage, Stage } from '../harness/dockerfile';
import { ROOT, adminQuery, databaseUrl, rabbitmqUrl, runId } from '../harness/infra';
import { deleteBrokerNamespace, freePort, waitFor } from '../harness/stack';

const stages = parseDockerfile(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = stages[stages.length - 1];
const buildName = runtime.instructions.find((i) => i.op === 'COPY' && i.flags.from)?.flags.from;
const build = stages.find((s) => s.name === buildName) as Stage;
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
const APP_SERVICES = Object.keys(PROCESSES);

/** What a `docker build` has: no test runner's variables (NODE_ENV=test), the npm cache and registry. */
function buildEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? os.homedir() };
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_config_(registry|cache|userconfig)|https?_proxy|no_proxy)$/i.test(k)) env[k] = v;
  }
  return env;
}

/** Every file a command line of the cluster runs: entry points, healthchecks, the image's CMD. */
function filesTheClusterRuns(): string[] {
  const files = new Set<string>(Object.values(PROCESSES));
  for (const service of Object.values<any>(compose.services)) {
    for (const arg of [...(service.command ?? []), ...(service.healthcheck?.test ?? [])] as string[]) {
      if (arg.startsWith('dist/')) files.add(arg);
    }
  }
  for (const ins of runtime.instructions.filter((i) => i.op === 'CMD')) {
    for (const arg of ins.args) if (arg.startsWith('dist/')) files.add(arg);
  }
  return [...files];
}

describe('the Docker image, built without Docker', () => {
  let tmp: string;
  let buildDir: string;
  let imageDir: string;
  let copied: string[];

  beforeAll(() => {
    expect(build).toBeDefined();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nixflex-docker-'));
    buildDir = path.join(tmp, 'build');
    imageDir = path.join(tmp, 'image');
    fs.mkdirSync(buildDir);
    fs.mkdirSync(imageDir);
    copied = replayStage(build, { contextDir: ROOT, workDir: buildDir, env: buildEnv() });
    replayStage(runtime, { contextDir: ROOT, workDir: imageDir, stageDirs: { [buildName!]: buildDir } });
  }, 15 * 60_000);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('copies the sources and build configuration, not bench/ or test/', () => {
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'apps', 'libs']));
    expect(copied.filter((c) => /^(bench|test)(\/|$)/.test(c))).toEqual([]);
    expect(fs.existsSync(path.join(buildDir, 'test'))).toBe(false);
    expect(fs.existsSync(path.join(imageDir, 'dist/bench'))).toBe(false);
  });

  it('has every entry point and healthcheck that docker-compose.yml and npm start run', () => {
    const files = filesTheClusterRuns();
    expect(files).toEqual(expect.arrayContaining(Object.values(PROCESSES)));
    expect(files).toContain('dist/libs/common/src/nest/healthcheck.cli.js');
    expect(files.filter((f) => !fs.existsSync(path.join(imageDir, f)))).toEqual([]);
  });

  it('ships production dependencies only', () => {
    expect(fs.existsSync(path.join(imageDir, 'node_modules/@nestjs/core/package.json'))).toBe(true);
    expect(fs.existsSync(path.join(imageDir, 'node_modules/typescript'))).toBe(false);
    expect(fs.existsSync(path.join(imageDir, 'node_modules/jest'))).toBe(false);
  });

  it('runs the compose cluster from the image folder alone, on a database that does not exist yet', async () => {
    const id = randomBytes(4).toString('hex');
    const dbName = `nixflex_test_${runId()}_image_${id}`;
    const prefix = `test.img.${id}`;
    const ports = {
      gateway: await freePort(),
      webhooks: await freePort(),
      voice: await freePort(),
      sandbox: await freePort(),
      llm: await freePort(),
      calcom: await freePort(),
    };
    // compose's own environment, with hosts and ports of this machine.
    const serviceEnv: Record<string, string> = {
      ...(compose['x-service-env'] as Record<string, string>),
      CREDENTIALS_ENCRYPTION_KEY: '',
      METRICS_TOKEN: '',
      DATABASE_URL: databaseUrl(dbName),
      RABBITMQ_URL: rabbitmqUrl(),
      BROKER_PREFIX: prefix,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `${prefix}:`,
      GATEWAY_PORT: String(ports.gateway),
      WEBHOOKS_PORT: String(ports.webhooks),
      VOICE_PORT: String(ports.voice),
      NUMBERS_METRICS_PORT: String(await freePort()),
      MESSAGING_METRICS_PORT: String(await freePort()),
      PUBLIC_VOICE_BASE_URL: `ws://127.0.0.1:${ports.voice}`,
      HOST: '127.0.0.1',
      PUBLIC_WEBHOOK_BASE_URL: `http://127.0.0.1:${ports.webhooks}`,
      TWILIO_API_BASE_URL: `http://127.0.0.1:${ports.sandbox}`,
      LLM_BASE_URL: `http://127.0.0.1:${ports.llm}/v1`,
      CALCOM_API_BASE_URL: `http://127.0.0.1:${ports.calcom}`,
    };
    const envOf = (name: string): Record<string, string> => ({
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production', // the image's ENV; compose's environment overrides it for the services
      ...(name === 'sandbox'
        ? { SANDBOX_PORT: String(ports.sandbox), SANDBOX_HOST: '127.0.0.1' }
        : name === 'llm-stub'
          ? { LLM_STUB_PORT: String(ports.llm), LLM_STUB_HOST: '127.0.0.1' }
          : name === 'calcom-sandbox'
            ? { CALCOM_SANDBOX_PORT: String(ports.calcom), CALCOM_SANDBOX_HOST: '127.0.0.1' }
            : serviceEnv),
    });
    const logFile = path.join(tmp, 'cluster.log');
    const procs: ChildProcess[] = [];
    try {
      for (const name of APP_SERVICES) {
        const [command, ...args] = compose.services[name].command as string[];
        expect(command).toBe('node');
        const out = fs.openSync(logFile, 'a');
        procs.push(
          spawn(process.execPath, args, { cwd: imageDir, env: envOf(name), stdio: ['ignore', out, out] }),
        );
        fs.closeSync(out);
      }
      await waitFor(
        'the gateway to report every service healthy',
        async () => (await fetch(`http://127.0.0.1:${ports.gateway}/health`)).status === 200,
        150_000,
        200,
      ).catch((err: Error) => {
        throw new Error(
          `${err.message}\n${fs.readFileSync(logFile, 'utf8').split('\n').slice(-60).join('\n')}`,
        );
      });
      const log = fs.readFileSync(logFile, 'utf8');
      expect(log).toContain(`created database "${dbName}" (it did not exist)`);
      // Each compose healthcheck, run in the image folder with its container's environment.
      for (const name of APP_SERVICES) {
        const [kind, command, ...args] = compose.services[name].healthcheck.test as string[];
        expect([kind, command]).toEqual(['CMD', 'node']);
        const r = spawnSync(process.execPath, args, { cwd: imageDir, env: envOf(name), encoding: 'utf8' });
        expect({ name, status: r.status, out: r.stdout.trim() }).toEqual({
          name,
          status: 0,
          out: `${name}: healthy`,
        });
      }
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      await deleteBrokerNamespace(prefix).catch(() => undefined);
      await adminQuery(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
    }
  }, 240_000);
});
