import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT, adminQuery, assertInfrastructure, databaseUrl } from './harness/infra';

/**
 * Once per `jest` run: check Postgres and RabbitMQ, drop databases left by
 * runs older than three hours, and create a freshly migrated template database
 * that every stack clones (CREATE DATABASE ... TEMPLATE is a file copy).
 */
export default async function globalSetup(): Promise<void> {
  await assertInfrastructure();
  const run = Date.now().toString(36);
  process.env.NIXFLEX_TEST_RUN = run;
  const stale = await adminQuery(`SELECT datname FROM pg_database WHERE datname LIKE 'nixflex\\_test\\_%'`);
  for (const { datname } of stale as { datname: string }[]) {
    const stamp = parseInt(datname.split('_')[2] ?? '', 36);
    if (Number.isFinite(stamp) && Date.now() - stamp > 3 * 3600_000) {
      await adminQuery(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  }
  const template = `nixflex_test_${run}_tpl`;
  await adminQuery(`CREATE DATABASE "${template}"`);
  execFileSync(process.execPath, [path.join(ROOT, 'dist/libs/common/src/db/migrate.cli.js')], {
    env: { ...process.env, DATABASE_URL: databaseUrl(template), NODE_ENV: 'test' },
    stdio: 'pipe',
  });
}
