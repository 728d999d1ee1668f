import { Env, EnvReader } from './env-reader';

/**
 * Environment, validated once at boot. Every bad variable is listed in one
 * error so an operator fixes them all in one go. See README "Configuration".
 */
export interface Config {
  nodeEnv: 'development' | 'test' | 'production';
  databaseUrl: string;
  /** Postgres connections per service process. */
  dbPoolSize: number;
  rabbitmqUrl: string;
  /** Prefix of every exchange and queue name; lets test runs share one broker. */
  brokerPrefix: string;
  brokerPrefetch: number;
  brokerEventPrefetch: number;
  brokerMaxAttempts: number;
  brokerRetryDelayMs: number;
  rpcTimeoutMs: number;
  gatewayPort: number;
  webhooksPort: number;
  host: string;
  publicWebhookBaseUrl: string;
  twilioApiBaseUrl: string;
  /** `kid:base64key` pairs, comma separated; the first encrypts, all decrypt. */
  credentialsEncryptionKeys: { id: string; key: Buffer }[];
  llm: { baseUrl?: string; apiKey?: string; model?: string; timeoutMs: number; maxRetries: number };
  /** Development/test only: let customer webhooks target loopback addresses. */
  allowLoopbackWebhooks: boolean;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
}

/** A well-known key for development and tests only; production must set its own. */
export const DEV_ENCRYPTION_KEY = 'dev:bml4ZmxleC1kZXZlbG9wbWVudC1rZXktMzItYnl0ZXM=';

function parseKeys(raw: string, r: EnvReader): { id: string; key: Buffer }[] {
  const keys = raw.split(',').map((part) => {
    const [id, b64] = part.trim().split(':');
    const key = Buffer.from(b64 ?? '', 'base64');
    if (!id || !/^[A-Za-z0-9_-]{1,32}$/.test(id) || key.length !== 32) {
      r.problem('CREDENTIALS_ENCRYPTION_KEY must be "keyid:base64-of-32-bytes"[,more...]');
    }
    return { id, key };
  });
  return keys;
}

export function loadConfig(env: Env = process.env): Config {
  const r = new EnvReader(env);
  const nodeEnv = r.oneOf('NODE_ENV', 'development', ['development', 'test', 'production'] as const);
  const production = nodeEnv === 'production';
  const rawKey = production
    ? r.str('CREDENTIALS_ENCRYPTION_KEY')
    : r.str('CREDENTIALS_ENCRYPTION_KEY', DEV_ENCRYPTION_KEY);
  if (production && rawKey.includes(DEV_ENCRYPTION_KEY.split(':')[1])) {
    r.problem('CREDENTIALS_ENCRYPTION_KEY must not be the development key in production');
  }
  const config: Config = {
    nodeEnv,
    databaseUrl: r.url('DATABASE_URL', 'postgres://postgres:postgres@localhost:5432/nixflex', [
      'postgres:',
      'postgresql:',
    ]),
    dbPoolSize: r.int('DB_POOL_SIZE', 10, 1, 500),
    rabbitmqUrl: r.url('RABBITMQ_URL', 'amqp://guest:guest@localhost:5672', ['amqp:', 'amqps:']),
    brokerPrefix: r.str('BROKER_PREFIX', 'nixflex'),
    brokerPrefetch: r.int('BROKER_PREFETCH', 64, 1, 10000),
    brokerEventPrefetch: r.int('BROKER_EVENT_PREFETCH', 8, 1, 10000),
    brokerMaxAttempts: r.int('BROKER_MAX_ATTEMPTS', 5, 1, 100),
    brokerRetryDelayMs: r.int('BROKER_RETRY_DELAY_MS', 2000, 10, 3_600_000),
    rpcTimeoutMs: r.int('RPC_TIMEOUT_MS', 10000, 100, 120_000),
    gatewayPort: r.int('GATEWAY_PORT', 3000, 0, 65535),
    webhooksPort: r.int('WEBHOOKS_PORT', 3001, 0, 65535),
    host: r.str('HOST', '0.0.0.0'),
    publicWebhookBaseUrl: r.url('PUBLIC_WEBHOOK_BASE_URL', 'http://localhost:3001', ['http:', 'https:']),
    twilioApiBaseUrl: r.url('TWILIO_API_BASE_URL', 'https://api.twilio.com', ['http:', 'https:']),
    credentialsEncryptionKeys: parseKeys(rawKey, r),
    llm: {
      baseUrl: r.url('LLM_BASE_URL', undefined, ['http:', 'https:']) || undefined,
      apiKey: r.optional('LLM_API_KEY'),
      model: r.optional('LLM_MODEL'),
      timeoutMs: r.int('LLM_TIMEOUT_MS', 20000, 100, 300_000),
      maxRetries: r.int('LLM_MAX_RETRIES', 2, 0, 10),
    },
    allowLoopbackWebhooks: r.bool('ALLOW_LOOPBACK_WEBHOOKS', !production),
    logLevel: r.oneOf('LOG_LEVEL', 'log', ['error', 'warn', 'log', 'debug'] as const),
  };
  if (production && config.allowLoopbackWebhooks) {
    r.problem('ALLOW_LOOPBACK_WEBHOOKS must not be true in production');
  }
  return r.done(config);
}

let cached: Config | undefined;

/** The process-wide configuration, loaded on first use. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/** Boot helper: print every bad variable and exit instead of a stack trace. */
export function configOrExit(): Config {
  try {
    return config();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(78);
  }
}
