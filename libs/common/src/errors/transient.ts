/**
 * Failures that say "a dependency is down right now", not "this request is
 * wrong": Postgres unreachable or restarting, a dropped connection, a pool
 * that cannot connect. They become `503 service_unavailable` (the client may
 * retry) and, in event handlers, a retry rather than a dead letter.
 */
const PG_UNAVAILABLE = new Set([
  '08000', // connection_exception
  '08003', // connection_does_not_exist
  '08006', // connection_failure
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

const NET_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

const TYPEORM_RELEASED = new Set([
  'QueryRunnerAlreadyReleasedError',
  'QueryRunnerProviderAlreadyReleasedError',
]);

export function isTransientInfrastructureError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && (PG_UNAVAILABLE.has(e.code) || NET_UNAVAILABLE.has(e.code))) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (/Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)) {
    return true;
  }
  // TypeORM releases a query runner whose connection died; a query queued on it
  // then fails with one of these before reaching Postgres (seen in the
  // Postgres-restart drill).
  if (TYPEORM_RELEASED.has((err as Error).name)) return true;
  return isTransientInfrastructureError(e.driverError) || isTransientInfrastructureError(e.cause);
}
