import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import PROCESSES from '../../scripts/processes.json';
import { ROOT } from '../harness/infra';

const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'));
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

describe('docker-compose.yml stays in step with npm start', () => {
  it('runs every process npm start runs, with the same entry point', () => {
    for (const [name, entry] of Object.entries(PROCESSES)) {
      const service = compose.services[name];
      expect(service).toBeDefined();
      expect(service.command).toContain(entry);
      expect(fs.existsSync(path.join(ROOT, entry))).toBe(true);
    }
    expect(Object.keys(compose.services).sort()).toEqual(
      [...Object.keys(PROCESSES), 'postgres', 'rabbitmq'].sort(),
    );
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
    execFileSync('docker', ['compose', '-f', path.join(ROOT, 'docker-compose.yml'), 'config', '-q']);
  });
});
