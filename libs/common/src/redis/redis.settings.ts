import { Env, EnvReader } from '../config/env-reader';

/** Where the shared Redis is and how this deployment's keys are named. */
export interface RedisSettings {
  /** `REDIS_URL`, default `redis://127.0.0.1:6379`. */
  url: string;
  /** `REDIS_KEY_PREFIX`, default `nixflex:`: every key this engine writes starts with it. */
  keyPrefix: string;
}

export function loadRedisSettings(env: Env = process.env): RedisSettings {
  const r = new EnvReader(env);
  const url = r.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']);
  const keyPrefix = r.str('REDIS_KEY_PREFIX', 'nixflex:');
  if (!/^[A-Za-z0-9:._-]{1,100}$/.test(keyPrefix)) {
    r.problem(`REDIS_KEY_PREFIX must be 1 to 100 of A-Z a-z 0-9 : . _ - (got "${keyPrefix}")`);
  }
  return r.done({ url, keyPrefix });
}
