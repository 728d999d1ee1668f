/**
 * Start from nothing: the database named in DATABASE_URL is created when it
 * does not exist yet (connecting to the server's `postgres` database), so a
 * fresh machine needs no manual `createdb`.
 */
import { Client } from 'pg';
import { EXIT_CONFIG, StartFailure, hostPort, postgresFailure } from '../nest/start-failure';

/** Names we create: plain characters only, at most Postgres's 63 bytes. */
const CREATABLE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/;

/** The database a connection URL names (the path, decoded), or '' when it names none. */
export function databaseNameOf(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  return decodeURIComponent(u.pathname.replace(/^\//, ''));
}

/** Why we refuse to create a database of this name, or undefined when the name is fine. */
export function creatableNameProblem(name: string): string | undefined {
  if (name === '') return 'DATABASE_URL names no database (add one, e.g. /nixflex, to its path)';
  if (!CREATABLE.test(name)) {
    return (
      `refusing to create database ${JSON.stringify(name)}: use letters, digits, "_", "-" and "." only ` +
      `(at most 63 characters), or create it yourself`
    );
  }
  return undefined;
}

/** A double-quoted SQL identifier (embedded quotes doubled). */
export function quoteIdentifier(name: string): string {
  if (name.includes('\0')) throw new Error('identifier contains a NUL byte');
  return `"${name.replace(/"/g, '""')}"`;
}

function client(connectionString: string): Client {
  const c = new Client({ connectionString, connectionTimeoutMillis: 10_000 });
  // An 'error' with no listener would crash the process (e.g. server restart mid-query).
  c.on('error', () => undefined);
  return c;
}

/** Connects to the server's maintenance database (`postgres`, else `template1`). */
async function maintenanceClient(databaseUrl: string): Promise<Client> {
  let lastError: unknown;
  for (const db of ['postgres', 'template1']) {
    const u = new URL(databaseUrl);
    u.pathname = `/${db}`;
    const c = client(u.toString());
    try {
      await c.connect();
      return c;
    } catch (err) {
      lastError = err;
      if ((err as { code?: string }).code !== '3D000') break;
    }
  }
  throw postgresFailure(lastError, databaseUrl);
}

/**
 * Makes sure the database of `databaseUrl` exists; `created` says whether this
 * call created it. Two processes creating it at once is fine: the loser's
 * `duplicate_database` (42P04), or a unique violation on pg_database (23505)
 * when both ran at the same moment, means it exists. Failures are StartFailures.
 */
export async function ensureDatabase(databaseUrl: string): Promise<{ name: string; created: boolean }> {
  const name = databaseNameOf(databaseUrl);
  const probe = client(databaseUrl);
  try {
    await probe.connect();
    await probe.end();
    return { name, created: false };
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw postgresFailure(err, databaseUrl);
  }
  const problem = creatableNameProblem(name);
  if (problem) throw new StartFailure(`database does not exist; ${problem}`, EXIT_CONFIG);
  const admin = await maintenanceClient(databaseUrl);
  try {
    await admin.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
    return { name, created: true };
  } catch (err) {
    const code = (err as { code?: string }).code;
    // Lost the race to another process creating it: duplicate_database, or the
    // catalog's unique index when both CREATEs ran at the same moment.
    if (code === '42P04' || code === '23505') return { name, created: false };
    if (code === '42501') {
      const user = decodeURIComponent(new URL(databaseUrl).username) || 'this user';
      throw new StartFailure(
        `database "${name}" does not exist on ${hostPort(databaseUrl, 5432)} and "${user}" may not create it. ` +
          `Create it as a superuser (createdb ${name}) or grant CREATEDB`,
        EXIT_CONFIG,
      );
    }
    throw postgresFailure(err, databaseUrl);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** The line every entry point prints when it created the database. */
export function createdDatabaseLine(name: string): string {
  return `created database "${name}" (it did not exist)`;
}
