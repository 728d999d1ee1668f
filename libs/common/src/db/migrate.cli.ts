/**
 * `npm run migrate [service ...]`: runs pending migrations of every service
 * (or the ones named). `npm run migrate -- --revert <service>` undoes the last.
 */
import { SERVICES, ServiceName } from '../broker/topology';
import { configOrExit } from '../config';
import { migrate, revertLast } from './data-source';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const { databaseUrl } = configOrExit();
  if (args[0] === '--revert') {
    const svc = args[1] as ServiceName;
    if (!SERVICES.includes(svc)) throw new Error(`--revert needs one of ${SERVICES.join(', ')}`);
    await revertLast(svc, databaseUrl);
    process.stdout.write(`${svc}: reverted last migration\n`);
    return;
  }
  const services = args.length > 0 ? (args as ServiceName[]) : SERVICES;
  for (const svc of services) {
    if (!SERVICES.includes(svc)) throw new Error(`unknown service "${svc}"`);
    const ran = await migrate(svc, databaseUrl);
    process.stdout.write(`${svc}: ${ran.length ? ran.join(', ') : 'up to date'}\n`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`migration failed: ${err.message}\n`);
  process.exit(1);
});
