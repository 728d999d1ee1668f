import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT, adminQuery, assertInfrastructure, databaseUrl } from './infra';

/**
 * Once per run (jest's global setup, or a benchmark): check Postgres and
 * RabbitMQ, drop databases left by runs older than three hours, and create a
 * freshly migrated template database that every stack clones
 * (CREATE DATABASE ... TEMPLATE is a file copy). Sets NIXFLEX_TEST_RUN.
 */
export async function prepareRun(): Promise<string> {
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
  return run;
}

/** Drops every database of this run. */
export async function finishRun(run = process.env.NIXFLEX_TEST_RUN): Promise<void> {
  if (!run) return;
  const dbs = await adminQuery(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
    `nixflex_test_${run}_%`,
  ]);
  for (const { datname } of dbs as { datname: string }[]) {
    await adminQuery(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
}
