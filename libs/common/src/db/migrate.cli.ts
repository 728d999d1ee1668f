/**
 * `npm run migrate [service ...]`: creates the database when it does not
 * exist yet, then runs pending migrations of every service (or the ones
 * named). `npm run migrate -- --revert <service>` undoes the last.
 * `--preflight` (what `npm start` runs before starting anything) also checks
 * that RabbitMQ is reachable. A failure is one line saying what to do, and a
 * non-zero exit code (78: fix the configuration, 69: start a dependency).
 * Redis unreachable is only a warning: messaging then paces SMS per process.
 */
import { SERVICES, ServiceName } from '../broker/topology';
import { config } from '../config';
import {
  EXIT_CONFIG,
  StartFailure,
  configFailure,
  exitWithStartFailure,
  probeBroker,
} from '../nest/start-failure';
import { probeRedis } from '../redis/redis-probe';
import { createdDatabaseLine, ensureDatabase } from './create-database';
import { migrate, revertLast } from './data-source';

const preflight = process.argv.includes('--preflight');
const who = preflight ? 'nixflex cannot start' : 'cannot migrate';

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--preflight');
  let cfg;
  try {
    cfg = config();
  } catch (err) {
    throw configFailure(err);
  }
  const { databaseUrl } = cfg;
  if (args[0] === '--revert') {
    const svc = args[1] as ServiceName;
    if (!SERVICES.includes(svc)) {
      throw new StartFailure(`--revert needs one of ${SERVICES.join(', ')}`, EXIT_CONFIG);
    }
    await revertLast(svc, databaseUrl);
    process.stdout.write(`${svc}: reverted last migration\n`);
    return;
  }
  const services = args.length > 0 ? (args as ServiceName[]) : SERVICES;
  for (const svc of services) {
    if (!SERVICES.includes(svc)) {
      throw new StartFailure(`unknown service "${svc}"; one of ${SERVICES.join(', ')}`, EXIT_CONFIG);
    }
  }
  // Both dependencies at once, so a machine with neither running hears about both.
  const [database, broker] = await Promise.allSettled([
    ensureDatabase(databaseUrl),
    preflight ? probeBroker(cfg.rabbitmqUrl) : Promise.resolve(),
  ]);
  if (database.status === 'rejected' && broker.status === 'rejected') {
    process.stderr.write(`${who}: ${(broker.reason as Error).message}\n`);
  }
  if (database.status === 'rejected') throw database.reason;
  if (database.value.created) process.stdout.write(`${createdDatabaseLine(database.value.name)}\n`);
  if (broker.status === 'rejected') throw broker.reason;
  if (preflight) {
    const redisProblem = await probeRedis();
    if (redisProblem) process.stderr.write(`warning: ${redisProblem}\n`);
  }
  for (const svc of services) {
    const ran = await migrate(svc, databaseUrl);
    process.stdout.write(`${svc}: ${ran.length ? ran.join(', ') : 'up to date'}\n`);
  }
}

main().catch((err: unknown) => exitWithStartFailure(who, err, process.env.LOG_LEVEL === 'debug'));
