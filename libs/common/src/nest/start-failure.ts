/**
 * Why a process cannot start, in one line an operator can act on: what is
 * wrong, and what to do about it. Used by `npm start`, `npm run migrate` and
 * every service's bootstrap, which print the line and exit non-zero instead of
 * a stack trace. Nothing here ever prints a password.
 */
import * as amqp from 'amqplib';
import { Config, config } from '../config';

/** Exit codes (sysexits.h): a supervisor restarts on 69, never on 78. */
export const EXIT_CONFIG = 78;
export const EXIT_UNAVAILABLE = 69;
export const EXIT_FAILED = 70;

export class StartFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** Worth waiting for (a dependency still starting), as opposed to a mistake to fix. */
    readonly transient = false,
  ) {
    super(redactSecrets(message));
    this.name = 'StartFailure';
  }
}

export const POSTGRES_HINT =
  'Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or fix DATABASE_URL)';
export const RABBITMQ_HINT = 'Start it with: rabbitmq-server -detached (or fix RABBITMQ_URL)';

/** Masks the password of every URL in a text (`scheme://user:***@host`). */
export function redactSecrets(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi, '$1***@');
}

/** `host:port` of a URL, with the protocol's default port. */
export function hostPort(url: string, defaultPort: number): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || defaultPort}`;
  } catch {
    return '<invalid url>';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // One line: some drivers put the server's detail on following lines.
  return msg.split('\n')[0].trim();
}

/** A connection that did not happen or was cut: the server may be down or still starting. */
export function isUnreachable(err: unknown): boolean {
  const code = errorCode(err);
  if (code && NETWORK_CODES.has(code)) return true;
  // 57P01-03: shut down or starting up; 53300: too many connections; 08xxx: connection exceptions.
  if (code && (/^57P0[123]$/.test(code) || code === '53300' || code.startsWith('08'))) return true;
  return /timeout|Connection terminated|socket hang up/i.test(messageOf(err));
}

/** A Postgres error while connecting or migrating, as a start failure. */
export function postgresFailure(err: unknown, databaseUrl: string): StartFailure {
  if (err instanceof StartFailure) return err;
  const where = `Postgres at ${hostPort(databaseUrl, 5432)}`;
  const code = errorCode(err);
  const msg = messageOf(err);
  if (isUnreachable(err)) {
    return new StartFailure(`${where} is unreachable (${msg}). ${POSTGRES_HINT}`, EXIT_UNAVAILABLE, true);
  }
  if (code === '28P01' || code === '28000') {
    return new StartFailure(
      `${where} refused the login (${msg}). Check the user and password in DATABASE_URL`,
      EXIT_CONFIG,
    );
  }
  return new StartFailure(`${where} answered: ${msg}${code ? ` (${code})` : ''}`, EXIT_FAILED);
}

/** A RabbitMQ error while connecting, as a start failure. */
export function brokerFailure(err: unknown, rabbitmqUrl: string): StartFailure {
  if (err instanceof StartFailure) return err;
  const defaultPort = rabbitmqUrl.startsWith('amqps:') ? 5671 : 5672;
  const where = `RabbitMQ at ${hostPort(rabbitmqUrl, defaultPort)}`;
  const msg = messageOf(err);
  if (/ACCESS[-_]REFUSED|403/.test(msg)) {
    return new StartFailure(
      `${where} refused the login (ACCESS_REFUSED). Check the user and password in RABBITMQ_URL`,
      EXIT_CONFIG,
    );
  }
  if (/NOT_ALLOWED|vhost/i.test(msg)) {
    return new StartFailure(`${where} refused the virtual host (${msg}). Check RABBITMQ_URL`, EXIT_CONFIG);
  }
  return new StartFailure(`${where} is unreachable (${msg}). ${RABBITMQ_HINT}`, EXIT_UNAVAILABLE, true);
}

/** The configuration's error (every bad variable), on one line. */
export function configFailure(err: unknown): StartFailure {
  if (err instanceof StartFailure) return err;
  const lines = (err instanceof Error ? err.message : String(err))
    .split('\n')
    .map((l) => l.trim().replace(/^-\s*/, ''))
    .filter(Boolean);
  const [head, ...items] = lines;
  const text = items.length
    ? `${head.replace(/:$/, '')}: ${items.join('; ')}`
    : (head ?? 'invalid environment');
  return new StartFailure(`${text}. Fix the environment (see README "Configuration")`, EXIT_CONFIG);
}

/** A listen error of an HTTP service. */
export function listenFailure(err: unknown, host: string, port: number, variable: string): StartFailure {
  const code = errorCode(err);
  if (code === 'EADDRINUSE') {
    return new StartFailure(
      `port ${port} on ${host} is already in use. Stop the process holding it, or set ${variable}`,
      EXIT_CONFIG,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'EACCES') {
    return new StartFailure(
      `cannot listen on ${host}:${port} (${messageOf(err)}). Check HOST and ${variable}`,
      EXIT_CONFIG,
    );
  }
  return asStartFailure(err);
}

export function asStartFailure(err: unknown): StartFailure {
  if (err instanceof StartFailure) return err;
  return new StartFailure(messageOf(err), EXIT_FAILED);
}

/**
 * Prints `<who> <verb>: <why>` on stderr as the one line, and exits with the
 * failure's code. With `debug` set the stack of an unexpected error follows.
 */
export function exitWithStartFailure(who: string, err: unknown, debug = false): never {
  const failure = asStartFailure(err);
  process.stderr.write(`${who}: ${failure.message}\n`);
  if (debug && !(err instanceof StartFailure) && err instanceof Error && err.stack) {
    process.stderr.write(`${redactSecrets(err.stack)}\n`);
  }
  process.exit(failure.exitCode);
}

/** Opens and closes one RabbitMQ connection; a failure is a StartFailure. */
export async function probeBroker(rabbitmqUrl: string): Promise<void> {
  try {
    const conn = await amqp.connect(rabbitmqUrl, { timeout: 10_000 });
    conn.on('error', () => undefined);
    await conn.close();
  } catch (err) {
    throw brokerFailure(err, rabbitmqUrl);
  }
}

/**
 * The configuration, or (when the environment is bad) `<service> cannot
 * start: <every bad variable>` and exit 78 - never a stack trace.
 */
export function configOrStartFailure(service: string): Config {
  try {
    return config();
  } catch (err) {
    return exitWithStartFailure(`${service} cannot start`, configFailure(err));
  }
}
