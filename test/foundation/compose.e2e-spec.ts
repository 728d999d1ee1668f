import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import PROCESSES from '../../scripts/processes.json';
import { ROOT } from '../harness/infra';

// merge: true applies `<<: *anchor` the way docker compose does.
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const APP_SERVICES = Object.keys(PROCESSES);
const INFRASTRUCTURE = ['postgres', 'rabbitmq', 'redis'];

describe('docker-compose.yml stays in step with npm start', () => {
  it('runs every process npm start runs, with the same command line (scripts/start.js)', () => {
    for (const [name, entry] of Object.entries(PROCESSES)) {
      const service = compose.services[name];
      expect(service).toBeDefined();
      expect(service.command).toEqual(['node', '--enable-source-maps', entry]);
      expect(fs.existsSync(path.join(ROOT, entry))).toBe(true);
    }
    expect(Object.keys(compose.services).sort()).toEqual([...APP_SERVICES, ...INFRASTRUCTURE].sort());
    // start.js spawns exactly that command line.
    expect(fs.readFileSync(path.join(ROOT, 'scripts/start.js'), 'utf8')).toContain(
      "spawn(process.execPath, ['--enable-source-maps', ENTRY[name]]",
    );
  });

  it('gives every service a healthcheck; app services run the compiled check for their own process', () => {
    for (const [name, service] of Object.entries<any>(compose.services)) {
      expect({ name, test: service.healthcheck?.test?.[0] }).toEqual({ name, test: 'CMD' });
    }
    for (const name of APP_SERVICES) {
      const test: string[] = compose.services[name].healthcheck.test;
      expect(test).toEqual(['CMD', 'node', 'dist/libs/common/src/nest/healthcheck.cli.js', name]);
      expect(fs.existsSync(path.join(ROOT, test[2]))).toBe(true);
      expect(compose.services[name].healthcheck.interval).toBeDefined();
    }
  });

  it('binds Postgres, RabbitMQ, its management UI and the test doubles to 127.0.0.1 on the host', () => {
    const published = (name: string): string[] => compose.services[name].ports ?? [];
    for (const name of [...INFRASTRUCTURE, 'sandbox', 'llm-stub', 'calcom-sandbox']) {
      expect(published(name).length).toBeGreaterThan(0);
      for (const port of published(name)) expect(String(port)).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
    expect(published('rabbitmq')).toContain('127.0.0.1:15672:15672');
    // ... and not with guest/guest: the account comes from the environment, for the UI and the services alike.
    expect(compose.services.rabbitmq.environment).toEqual({
      RABBITMQ_DEFAULT_USER: '${RABBITMQ_USER:-nixflex}',
      RABBITMQ_DEFAULT_PASS: expect.stringMatching(/^\$\{RABBITMQ_PASSWORD:\?/),
    });
    expect(compose['x-service-env'].RABBITMQ_URL).not.toContain('guest');
    // The entry points of the system (API, Twilio's webhooks, Twilio's voice WebSockets) are the only ports open beyond this host.
    const open = Object.values<any>(compose.services)
      .flatMap((s) => (s.ports ?? []) as string[])
      .filter((p) => !String(p).startsWith('127.0.0.1:'));
    expect(open.sort()).toEqual(['3000:3000', '3001:3001', '3002:3002']);
  });

  it('starts app services after Postgres and RabbitMQ are healthy, and restarts them', () => {
    for (const name of ['numbers', 'messaging', 'webhooks', 'voice', 'gateway']) {
      const service = compose.services[name];
      expect(service.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        rabbitmq: { condition: 'service_healthy' },
        // Messaging paces SMS senders in Redis; the gateway and webhooks count rate limits there.
        ...(['messaging', 'webhooks', 'gateway'].includes(name)
          ? { redis: { condition: 'service_healthy' } }
          : {}),
      });
      expect(service.restart).toBe('unless-stopped');
      expect(service.environment.DATABASE_URL).toMatch(/@postgres:5432\//);
    }
  });

  it('sets only configuration variables the README documents', () => {
    const env = compose['x-service-env'] as Record<string, string>;
    for (const name of Object.keys(env)) expect(readme).toContain(`\`${name}\``);
  });

  it('is accepted by `docker compose config` where the docker client has compose', () => {
    const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      // No compose plugin here (our machines have none): the YAML checks above still ran.
      return;
    }
    execFileSync('docker', ['compose', '-f', path.join(ROOT, 'docker-compose.yml'), 'config', '-q'], {
      env: { ...process.env, RABBITMQ_PASSWORD: 'compose-config-check' },
    });
  });
});
