import { DEFAULT_LLM_MODEL } from '../agent/llm-settings';
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
  /** SIGTERM: how long readiness says 503 before anything stops, and the bound on the whole drain. */
  drain: { readyDelayMs: number; timeoutMs: number };
  gatewayPort: number;
  webhooksPort: number;
  /** The voice service's port: Twilio's ConversationRelay WebSockets (and its own /health). */
  voicePort: number;
  host: string;
  publicWebhookBaseUrl: string;
  /**
   * Where Twilio opens ConversationRelay WebSockets (`ws://` or `wss://`, no
   * path). Default: PUBLIC_WEBHOOK_BASE_URL's host on VOICE_PORT, `wss://`
   * when that URL is `https://`.
   */
  publicVoiceBaseUrl: string;
  voice: VoiceSettings;
  twilioApiBaseUrl: string;
  /** Cal.com's API (`CALCOM_API_BASE_URL`, a sandbox locally) and how long one request may take. */
  calcom: { apiBaseUrl: string; timeoutMs: number };
  /** `kid:base64key` pairs, comma separated; the first encrypts, all decrypt. */
  credentialsEncryptionKeys: { id: string; key: Buffer }[];
  llm: {
    baseUrl?: string;
    apiKey?: string;
    model?: string;
    timeoutMs: number;
    maxRetries: number;
    /** Tool rounds one agent turn may take (`AGENT_TOOL_MAX_ROUNDS`); then it must answer in words. */
    toolMaxRounds: number;
    /** Time one agent turn's tools may take in all (`AGENT_TOOL_MAX_MS`); a tool still running then is answered as timed out. */
    toolMaxMs: number;
    /** `LLM_MAX_TOKENS`: `max_tokens` of an SMS reply and of any request without its own bound; 0 = not sent. */
    maxTokens: number;
    /** `LLM_VOICE_MAX_TOKENS`: `max_tokens` of one voice turn; 0 = not sent. */
    voiceMaxTokens: number;
    /** `LLM_ALLOWED_MODELS`: the models an agent may name (default: `LLM_MODEL`, else `gpt-4o-mini`, alone). */
    allowedModels: string[];
  };
  /** When the agent stops answering an SMS conversation (`SMS_REPLY_CAP*`, `SMS_LOOP_*`; docs/operations.md "LLM guards"). */
  smsGuards: SmsGuardSettings;
  /** LLM token budget (`LLM_MONTHLY_TOKEN_BUDGET`): an account's tokens per calendar month (UTC), 0 = unlimited. */
  llmMonthlyTokenBudget: number;
  /** Development/test only: let customer webhooks target loopback addresses. */
  allowLoopbackWebhooks: boolean;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** `LOG_FORMAT`: one JSON object a line, or pino-pretty's coloured text (default in development). */
  logFormat: 'json' | 'pretty';
  /** Development/test only: shifts the services' `Clock` (quiet hours, scheduled sends) by this much. */
  clockOffsetMs: number;
  /**
   * Prometheus metrics (`GET /metrics`): the bearer token that guards them
   * when set (`METRICS_TOKEN`), and the ports numbers and messaging serve them
   * on (they have no HTTP server of their own; 0: none).
   */
  metrics: { token?: string; numbersPort: number; messagingPort: number };
  rateLimits: RateLimitSettings;
}

/**
 * The `RATE_LIMIT_*` variables (docs/operations.md "Rate limits"): the /v1
 * API per key and per account (fixed windows counted in Redis; an account may
 * have its own rates, `npm run cli -- account:rate-limits`), and Twilio's
 * inbound SMS and call webhooks per caller (`From`).
 */
export interface RateLimitSettings {
  /** Requests one API key may make per window (the default 500 per 10 s: 50/s on average). */
  keyPerWindow: number;
  /** Requests all of an account's keys together may make per window (default 1000 per 10 s). */
  accountPerWindow: number;
  /** The window (seconds); a quota may be spent in one burst, then the next window starts whole. */
  windowS: number;
  /** How long a gateway keeps an account's overrides before reading them again. */
  overrideCacheMs: number;
  /** Inbound SMS one caller (`From`) may send to our numbers per `twilioFromWindowS`. */
  twilioSmsPerFrom: number;
  /** Inbound calls one caller (`From`) may place to our numbers per `twilioFromWindowS`. */
  twilioCallsPerFrom: number;
  twilioFromWindowS: number;
}

/** The reply cap and the auto-responder loop detector of inbound SMS (apps/messaging/src/inbound/guards). */
export interface SmsGuardSettings {
  /** `SMS_REPLY_CAP`: agent replies one conversation (our number + the contact) may get per window; 0 = no cap. */
  replyCap: number;
  /** `SMS_REPLY_CAP_WINDOW_S`: the cap's sliding window, in seconds. */
  replyCapWindowS: number;
  /** `SMS_LOOP_DETECTION`: whether the loop detector runs at all. */
  loopDetection: boolean;
  /** `SMS_LOOP_COOLDOWN_S`: a conversation stays unanswered this long after the last sign of a loop. */
  loopCooldownS: number;
  /** `SMS_LOOP_FAST_BASE_MS` + `SMS_LOOP_FAST_MS_PER_CHAR` x length: a text sooner than this after our reply is "fast". */
  loopFastBaseMs: number;
  loopFastMsPerChar: number;
  /** `SMS_LOOP_FAST_STREAK`: this many fast texts in a row are a loop. */
  loopFastStreak: number;
  /** `SMS_LOOP_REPEATS`: this many identical texts in a row, each after a reply of ours, are a loop. */
  loopRepeats: number;
}

/** How calls sound and when a silent or slow call gives up (the `VOICE_*` variables). */
export interface VoiceSettings {
  /** The voice when neither the number nor its agent names one. */
  defaultVoice: string;
  ttsProvider: 'Google' | 'Amazon' | 'ElevenLabs';
  language: string;
  /** No first token from the LLM within this: the caller hears an apology instead. */
  firstTokenTimeoutMs: number;
  /**
   * How long a turn waits, at most, for the outcome of texts the previous turn
   * tagged (usually settled already), so the model is told whether they went.
   */
  actionOutcomeWaitMs: number;
  /** The caller said nothing for this long after the agent finished: "are you still there?". */
  silenceRepromptMs: number;
  /** ... and nothing for this long after the re-prompt: the call ends politely. */
  silenceHangupMs: number;
  /** Longest a call may last before the agent ends it politely. */
  maxCallMs: number;
  /**
   * A call with no final status whose status has not moved for this long (and
   * has no live session in this process) is looked up in Twilio by the sweeper.
   */
  sweepAfterMs: number;
  /** A completed call at least this long (seconds) gets the post-call SMS. */
  postCallMinS: number;
  /** Whether ended calls are summarised by the LLM (off: `summary_state` `disabled`). */
  callSummary: boolean;
  /** Longest wait for the LLM's summary of an ended call. */
  summaryTimeoutMs: number;
  /** How often the wrap-up poller looks for ended calls (summary, post-call SMS, `call.ended`). */
  wrapupPollMs: number;
  /** A claimed wrap-up not finished in this time is taken up again (its worker died). */
  wrapupLeaseMs: number;
  /** After trying this long, `call.ended` is sent with what is known (unknown parts null). */
  wrapupGiveUpMs: number;
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

/**
 * `LLM_ALLOWED_MODELS` (comma separated); unset = the default model alone
 * (`LLM_MODEL`, else `gpt-4o-mini`), which must itself be on the list.
 */
function allowedModels(r: EnvReader): string[] {
  const fallback = r.optional('LLM_MODEL') ?? DEFAULT_LLM_MODEL;
  const raw = r.optional('LLM_ALLOWED_MODELS');
  if (raw === undefined) return [fallback];
  const models = [...new Set(raw.split(',').map((m) => m.trim()))].filter((m) => m !== '');
  if (models.length === 0) r.problem('LLM_ALLOWED_MODELS must name at least one model');
  else if (!models.includes(fallback))
    r.problem(`LLM_ALLOWED_MODELS must include the default model ${fallback} (LLM_MODEL)`);
  return models;
}

/** PUBLIC_VOICE_BASE_URL, else PUBLIC_WEBHOOK_BASE_URL's host on VOICE_PORT (`wss` for `https`). */
function publicVoiceBaseUrl(r: EnvReader, cfg: Pick<Config, 'publicWebhookBaseUrl' | 'voicePort'>): string {
  const explicit = r.url('PUBLIC_VOICE_BASE_URL', undefined, ['ws:', 'wss:']);
  if (explicit) return explicit;
  let base: URL;
  try {
    base = new URL(cfg.publicWebhookBaseUrl);
  } catch {
    return ''; // PUBLIC_WEBHOOK_BASE_URL is already reported
  }
  const scheme = base.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${base.hostname}:${cfg.voicePort}`;
}

/**
 * What production refuses, each named, all reported at once with the other
 * problems: RabbitMQ's guest account (or no RABBITMQ_URL at all: the default
 * is guest), a public URL Twilio would call over plain HTTP (or the localhost
 * default), and the development encryption key anywhere in the key list.
 */
function productionRefusals(r: EnvReader, env: Env, cfg: Config): void {
  if (!env.RABBITMQ_URL) {
    r.problem('RABBITMQ_URL is required in production (the default uses the guest account)');
  } else {
    try {
      const u = new URL(cfg.rabbitmqUrl);
      if (decodeURIComponent(u.username) === 'guest' || (u.username === '' && u.password === '')) {
        r.problem("RABBITMQ_URL must not use RabbitMQ's guest account in production");
      }
    } catch {
      // already reported as not a valid URL
    }
  }
  if (!env.PUBLIC_WEBHOOK_BASE_URL) {
    r.problem('PUBLIC_WEBHOOK_BASE_URL is required in production (the default is http://localhost)');
  } else if (cfg.publicWebhookBaseUrl && !cfg.publicWebhookBaseUrl.startsWith('https://')) {
    r.problem(
      'PUBLIC_WEBHOOK_BASE_URL must be https:// in production (Twilio sends call and SMS data to it)',
    );
  }
  if (cfg.publicVoiceBaseUrl.startsWith('ws://')) {
    r.problem("PUBLIC_VOICE_BASE_URL must be wss:// in production (callers' speech travels over it)");
  }
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
    drain: {
      readyDelayMs: r.int('DRAIN_READY_DELAY_MS', 1000, 0, 60_000),
      timeoutMs: r.int('DRAIN_TIMEOUT_MS', 9000, 1000, 120_000),
    },
    gatewayPort: r.int('GATEWAY_PORT', 3000, 0, 65535),
    webhooksPort: r.int('WEBHOOKS_PORT', 3001, 0, 65535),
    voicePort: r.int('VOICE_PORT', 3002, 0, 65535),
    host: r.str('HOST', '0.0.0.0'),
    publicWebhookBaseUrl: r.url('PUBLIC_WEBHOOK_BASE_URL', 'http://localhost:3001', ['http:', 'https:']),
    publicVoiceBaseUrl: '',
    voice: {
      defaultVoice: r.str('VOICE_DEFAULT_VOICE', 'en-US-Journey-O'),
      ttsProvider: r.oneOf('VOICE_TTS_PROVIDER', 'Google', ['Google', 'Amazon', 'ElevenLabs'] as const),
      language: r.str('VOICE_LANGUAGE', 'en-US'),
      firstTokenTimeoutMs: r.int('VOICE_FIRST_TOKEN_TIMEOUT_MS', 4000, 100, 60_000),
      actionOutcomeWaitMs: r.int('VOICE_ACTION_OUTCOME_WAIT_MS', 1000, 0, 10_000),
      silenceRepromptMs: r.int('VOICE_SILENCE_REPROMPT_MS', 8000, 100, 600_000),
      silenceHangupMs: r.int('VOICE_SILENCE_HANGUP_MS', 8000, 100, 600_000),
      maxCallMs: r.int('VOICE_MAX_CALL_MS', 30 * 60_000, 1000, 4 * 3600_000),
      sweepAfterMs: r.int('VOICE_SWEEP_AFTER_MS', 60_000, 500, 24 * 3600_000),
      postCallMinS: r.int('VOICE_POST_CALL_MIN_S', 10, 0, 3600),
      callSummary: r.bool('VOICE_CALL_SUMMARY', true),
      summaryTimeoutMs: r.int('VOICE_SUMMARY_TIMEOUT_MS', 8000, 100, 60_000),
      wrapupPollMs: r.int('VOICE_WRAPUP_POLL_MS', 1000, 50, 60_000),
      wrapupLeaseMs: r.int('VOICE_WRAPUP_LEASE_MS', 60_000, 1000, 3600_000),
      wrapupGiveUpMs: r.int('VOICE_WRAPUP_GIVE_UP_MS', 120_000, 1000, 24 * 3600_000),
    },
    twilioApiBaseUrl: r.url('TWILIO_API_BASE_URL', 'https://api.twilio.com', ['http:', 'https:']),
    calcom: {
      apiBaseUrl: r.url('CALCOM_API_BASE_URL', 'https://api.cal.com', ['http:', 'https:']),
      timeoutMs: r.int('CALCOM_TIMEOUT_MS', 4000, 100, 60_000),
    },
    credentialsEncryptionKeys: parseKeys(rawKey, r),
    llm: {
      baseUrl: r.url('LLM_BASE_URL', undefined, ['http:', 'https:']) || undefined,
      apiKey: r.optional('LLM_API_KEY'),
      model: r.optional('LLM_MODEL'),
      timeoutMs: r.int('LLM_TIMEOUT_MS', 20000, 100, 300_000),
      maxRetries: r.int('LLM_MAX_RETRIES', 2, 0, 10),
      toolMaxRounds: r.int('AGENT_TOOL_MAX_ROUNDS', 3, 1, 10),
      toolMaxMs: r.int('AGENT_TOOL_MAX_MS', 10_000, 500, 60_000),
      maxTokens: r.int('LLM_MAX_TOKENS', 300, 0, 100_000),
      voiceMaxTokens: r.int('LLM_VOICE_MAX_TOKENS', 300, 0, 100_000),
      allowedModels: allowedModels(r),
    },
    smsGuards: {
      replyCap: r.int('SMS_REPLY_CAP', 20, 0, 100_000),
      replyCapWindowS: r.int('SMS_REPLY_CAP_WINDOW_S', 3600, 1, 30 * 86_400),
      loopDetection: r.bool('SMS_LOOP_DETECTION', true),
      loopCooldownS: r.int('SMS_LOOP_COOLDOWN_S', 3600, 1, 30 * 86_400),
      loopFastBaseMs: r.int('SMS_LOOP_FAST_BASE_MS', 2000, 0, 600_000),
      loopFastMsPerChar: r.int('SMS_LOOP_FAST_MS_PER_CHAR', 50, 0, 10_000),
      loopFastStreak: r.int('SMS_LOOP_FAST_STREAK', 3, 2, 100),
      loopRepeats: r.int('SMS_LOOP_REPEATS', 3, 2, 100),
    },
    llmMonthlyTokenBudget: r.int('LLM_MONTHLY_TOKEN_BUDGET', 0, 0, 1_000_000_000_000),
    allowLoopbackWebhooks: r.bool('ALLOW_LOOPBACK_WEBHOOKS', !production),
    logLevel: r.oneOf('LOG_LEVEL', 'log', ['error', 'warn', 'log', 'debug'] as const),
    logFormat: r.oneOf('LOG_FORMAT', nodeEnv === 'development' ? 'pretty' : 'json', [
      'json',
      'pretty',
    ] as const),
    clockOffsetMs: r.int('CLOCK_OFFSET_MS', 0, -366 * 86_400_000, 366 * 86_400_000),
    metrics: {
      token: r.optional('METRICS_TOKEN'),
      numbersPort: r.int('NUMBERS_METRICS_PORT', 9101, 0, 65535),
      messagingPort: r.int('MESSAGING_METRICS_PORT', 9102, 0, 65535),
    },
    rateLimits: {
      keyPerWindow: r.int('RATE_LIMIT_KEY_PER_WINDOW', 500, 1, 100_000_000),
      accountPerWindow: r.int('RATE_LIMIT_ACCOUNT_PER_WINDOW', 1000, 1, 100_000_000),
      windowS: r.int('RATE_LIMIT_WINDOW_S', 10, 1, 3600),
      overrideCacheMs: r.int('RATE_LIMIT_OVERRIDE_CACHE_MS', 5000, 0, 300_000),
      twilioSmsPerFrom: r.int('RATE_LIMIT_TWILIO_SMS_PER_FROM', 30, 1, 1_000_000),
      twilioCallsPerFrom: r.int('RATE_LIMIT_TWILIO_CALLS_PER_FROM', 10, 1, 1_000_000),
      twilioFromWindowS: r.int('RATE_LIMIT_TWILIO_FROM_WINDOW_S', 60, 1, 86_400),
    },
  };
  config.publicVoiceBaseUrl = publicVoiceBaseUrl(r, config);
  if (production && config.allowLoopbackWebhooks) {
    r.problem('ALLOW_LOOPBACK_WEBHOOKS must not be true in production');
  }
  if (production && config.clockOffsetMs !== 0) {
    r.problem('CLOCK_OFFSET_MS is for tests only and must not be set in production');
  }
  if (production) productionRefusals(r, env, config);
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
