import { adminQuery } from './harness/infra';

export default async function globalTeardown(): Promise<void> {
  const run = process.env.NIXFLEX_TEST_RUN;
  if (!run) return;
  const dbs = await adminQuery(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
    `nixflex_test_${run}_%`,
  ]);
  for (const { datname } of dbs as { datname: string }[]) {
    await adminQuery(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  }
}
