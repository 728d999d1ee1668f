import Redis from 'ioredis';
import { Env } from '../config/env-reader';
import { loadRedisSettings } from './redis.settings';

/**
 * `npm start`'s check of Redis: null when it answers PING, else one line
 * saying what to do. Not fatal: messaging paces SMS per process without it.
 */
export async function probeRedis(env: Env = process.env): Promise<string | null> {
  let url: string;
  try {
    url = loadRedisSettings(env).url;
  } catch (err) {
    return (err as Error).message.replace(/\n\s*/g, ' ');
  }
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1500,
    retryStrategy: () => null,
  });
  let cause: string | undefined;
  client.on('error', (err: Error) => (cause ??= err.message));
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (err) {
    const where = new URL(url).host;
    return (
      `Redis at ${where} is unreachable (${cause ?? (err as Error).message}); SMS pacing runs per process ` +
      'until it answers. Start it with: redis-server --daemonize yes (or fix REDIS_URL)'
    );
  } finally {
    client.disconnect();
  }
}
