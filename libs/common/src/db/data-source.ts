import * as path from 'node:path';
import { Client } from 'pg';
import { DataSource, EntitySchema, Logger as TypeOrmLogger, MixedList } from 'typeorm';
import type { ServiceName } from '../broker/topology';
import {
  EXIT_CONFIG,
  EXIT_FAILED,
  StartFailure,
  isUnreachable,
  postgresFailure,
} from '../nest/start-failure';
import { InboxEntry } from './inbox.entity';

/** Each service owns one Postgres schema, named after it, and writes only there. */
export function schemaFor(service: ServiceName): string {
  return service;
}

/** Compiled migrations of a service: dist/apps/<service>/src/migrations/*.js */
export function migrationsGlob(service: ServiceName): string {
  return path.resolve(__dirname, '../../../../apps', service, 'src/migrations/*.js');
}

/**
 * A pg Client that always has an 'error' listener. pg emits 'error' on a
 * client when Postgres ends its session while no query is running (57P01 on
 * a restart); pg-pool listens only while the client is idle and TypeORM only
 * while a query runner holds it, so a client in neither state took the whole
 * process down (the Postgres-restart drill lost the messaging service this
 * way). The error still reaches whoever holds the client: its next query
 * fails and the pool drops it.
 */
export class ListenedClient extends Client {
  constructor(config?: ConstructorParameters<typeof Client>[0]) {
    super(config);
    this.on('error', () => undefined);
  }
}

/**
 * TypeORM's logger for failed queries, without their parameters: TypeORM's
 * own prints every parameter (SMS bodies, phone numbers, sealed secrets) and
 * the driver's `detail` (`Key (phone_number)=(+44...)`). This one prints the
 * SQL, the Postgres error code and message only. Other log kinds are off.
 */
const NAMED =
  /^(?:constraint|relation|column|table|index|schema|function|sequence|type|database|role|extension)$/i;

/**
 * Postgres quotes offending values in some messages (`value "+44..." is out of
 * range`, `invalid input syntax for type integer: "..."`); those are withheld,
 * quoted names after a keyword (`constraint "..."`, `relation "..."`) stay.
 */
export function withoutValues(message: string): string {
  return message.replace(/(\w+)?(\s*:?\s*)"[^"]*"/g, (whole, word: string | undefined, gap: string) =>
    word !== undefined && NAMED.test(word) && !gap.includes(':') ? whole : `${word ?? ''}${gap}"(withheld)"`,
  );
}

export class ParameterFreeQueryLogger implements TypeOrmLogger {
  constructor(
    private readonly service: string,
    private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  logQueryError(error: string | Error, query: string): void {
    const e = error as Error & { code?: string };
    const message = withoutValues(typeof error === 'string' ? error : e.message);
    const code = typeof error === 'string' ? '' : ` [${e.code ?? '?'}]`;
    this.write(
      `[nixflex-${this.service}] query failed${code}: ${message} -- ${query.replace(/\s+/g, ' ').slice(0, 500)}`,
    );
  }
  logQuery(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export interface DataSourceOptions {
  service: ServiceName;
  databaseUrl: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  poolSize?: number;
  /** Log failed queries (default true; migrations report their failure themselves). */
  logErrors?: boolean;
}

export function createDataSource(opts: DataSourceOptions): DataSource {
  const schema = schemaFor(opts.service);
  return new DataSource({
    type: 'postgres',
    url: opts.databaseUrl,
    schema,
    entities: [InboxEntry, ...((opts.entities as unknown[]) ?? [])] as any,
    migrations: [migrationsGlob(opts.service)],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: opts.logErrors === false ? false : ['error'],
    logger: new ParameterFreeQueryLogger(opts.service),
    extra: { max: opts.poolSize ?? 10, application_name: `nixflex-${opts.service}`, Client: ListenedClient },
  });
}

/**
 * Runs a service's pending migrations under a Postgres advisory lock, so
 * several instances starting at once migrate one after another, not together.
 * Failures are StartFailures that say what to do (see start-failure.ts).
 */
export async function migrate(service: ServiceName, databaseUrl: string): Promise<string[]> {
  const lock = new ListenedClient({
    connectionString: databaseUrl,
    application_name: `nixflex-migrate-${service}`,
    connectionTimeoutMillis: 10_000,
  });
  try {
    await lock.connect();
  } catch (err) {
    if ((err as { code?: string }).code === '3D000') {
      throw new StartFailure(
        `${(err as Error).message}. Create it with: npm run migrate (or npm start)`,
        EXIT_CONFIG,
      );
    }
    throw postgresFailure(err, databaseUrl);
  }
  try {
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`nixflex-migrations:${service}`]);
    await lock.query(`CREATE SCHEMA IF NOT EXISTS "${schemaFor(service)}"`);
    const ds = createDataSource({ service, databaseUrl, poolSize: 2, logErrors: false });
    await ds.initialize();
    try {
      const ran = await ds.runMigrations({ transaction: 'each' });
      return ran.map((m) => m.name);
    } finally {
      await ds.destroy();
    }
  } catch (err) {
    if (err instanceof StartFailure || isUnreachable(err)) throw postgresFailure(err, databaseUrl);
    const code = (err as { code?: string }).code;
    throw new StartFailure(
      `the ${service} migrations failed: ${(err as Error).message}${code ? ` (${code})` : ''}. ` +
        'Fix the cause, then run npm run migrate again',
      EXIT_FAILED,
    );
  } finally {
    await lock
      .query('SELECT pg_advisory_unlock(hashtext($1))', [`nixflex-migrations:${service}`])
      .catch(() => 0);
    await lock.end().catch(() => undefined);
  }
}

/** Reverts the last migration of a service (the `down` of each migration is real). */
export async function revertLast(service: ServiceName, databaseUrl: string): Promise<void> {
  const ds = createDataSource({ service, databaseUrl, poolSize: 2 });
  await ds.initialize();
  try {
    await ds.undoLastMigration({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}
