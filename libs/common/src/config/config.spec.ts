import { DEV_ENCRYPTION_KEY, loadConfig } from './config';

describe('loadConfig', () => {
  it('works on a machine with local services and no variables set', () => {
    const cfg = loadConfig({});
    expect(cfg.databaseUrl).toBe('postgres://postgres:postgres@localhost:5432/nixflex');
    expect(cfg.rabbitmqUrl).toBe('amqp://guest:guest@localhost:5672');
    expect(cfg.gatewayPort).toBe(3000);
    expect(cfg.webhooksPort).toBe(3001);
    expect(cfg.publicWebhookBaseUrl).toBe('http://localhost:3001');
    expect(cfg.twilioApiBaseUrl).toBe('https://api.twilio.com');
    expect(cfg.credentialsEncryptionKeys[0].key).toHaveLength(32);
    expect(cfg.llm.baseUrl).toBeUndefined();
  });

  it("puts Twilio's voice WebSockets on the webhook host at VOICE_PORT, wss for https", () => {
    expect(loadConfig({}).publicVoiceBaseUrl).toBe('ws://localhost:3002');
    expect(
      loadConfig({ PUBLIC_WEBHOOK_BASE_URL: 'https://hooks.example.com', VOICE_PORT: '8443' })
        .publicVoiceBaseUrl,
    ).toBe('wss://hooks.example.com:8443');
    expect(loadConfig({ PUBLIC_VOICE_BASE_URL: 'wss://voice.example.com/' }).publicVoiceBaseUrl).toBe(
      'wss://voice.example.com',
    );
    expect(() => loadConfig({ PUBLIC_VOICE_BASE_URL: 'https://voice.example.com' })).toThrow(
      /PUBLIC_VOICE_BASE_URL must use ws: or wss:/,
    );
  });

  it("talks to Cal.com's API with a 4 s timeout unless CALCOM_* say otherwise", () => {
    expect(loadConfig({}).calcom).toEqual({ apiBaseUrl: 'https://api.cal.com', timeoutMs: 4000 });
    expect(
      loadConfig({ CALCOM_API_BASE_URL: 'http://127.0.0.1:4030', CALCOM_TIMEOUT_MS: '1500' }).calcom,
    ).toEqual({ apiBaseUrl: 'http://127.0.0.1:4030', timeoutMs: 1500 });
    expect(() => loadConfig({ CALCOM_API_BASE_URL: 'ftp://cal' })).toThrow(/CALCOM_API_BASE_URL/);
    expect(() => loadConfig({ CALCOM_TIMEOUT_MS: '5' })).toThrow(/CALCOM_TIMEOUT_MS/);
  });

  it('sweeps calls whose end never came after VOICE_SWEEP_AFTER_MS (a minute by default)', () => {
    expect(loadConfig({}).voice.sweepAfterMs).toBe(60_000);
    expect(loadConfig({ VOICE_SWEEP_AFTER_MS: '1000' }).voice.sweepAfterMs).toBe(1000);
    expect(() => loadConfig({ VOICE_SWEEP_AFTER_MS: '10' })).toThrow(/VOICE_SWEEP_AFTER_MS/);
  });

  it('bounds LLM replies and allows only the default model unless LLM_ALLOWED_MODELS lists more', () => {
    const llm = loadConfig({}).llm;
    expect(llm).toMatchObject({ maxTokens: 300, voiceMaxTokens: 300, allowedModels: ['gpt-4o-mini'] });
    expect(loadConfig({ LLM_MODEL: 'm1' }).llm.allowedModels).toEqual(['m1']);
    expect(loadConfig({ LLM_MODEL: 'm1', LLM_ALLOWED_MODELS: ' m1, m2 ,,m2' }).llm.allowedModels).toEqual([
      'm1',
      'm2',
    ]);
    expect(() => loadConfig({ LLM_MODEL: 'm1', LLM_ALLOWED_MODELS: 'm2' })).toThrow(
      /LLM_ALLOWED_MODELS must include the default model m1/,
    );
    expect(() => loadConfig({ LLM_ALLOWED_MODELS: ' , ' })).toThrow(/LLM_ALLOWED_MODELS must name/);
    expect(() => loadConfig({ LLM_MAX_TOKENS: '-1' })).toThrow(/LLM_MAX_TOKENS/);
  });

  it('caps SMS replies at 20 an hour per conversation and detects loops unless told otherwise', () => {
    expect(loadConfig({}).smsGuards).toEqual({
      replyCap: 20,
      replyCapWindowS: 3600,
      loopDetection: true,
      loopCooldownS: 3600,
      loopFastBaseMs: 2000,
      loopFastMsPerChar: 50,
      loopFastStreak: 3,
      loopRepeats: 3,
    });
    expect(loadConfig({ SMS_REPLY_CAP: '0', SMS_LOOP_DETECTION: 'false' }).smsGuards).toMatchObject({
      replyCap: 0,
      loopDetection: false,
    });
    expect(() => loadConfig({ SMS_LOOP_FAST_STREAK: '1' })).toThrow(/SMS_LOOP_FAST_STREAK/);
  });

  it('lists every bad variable at once', () => {
    expect(() =>
      loadConfig({
        GATEWAY_PORT: 'abc',
        DATABASE_URL: 'mysql://x',
        RABBITMQ_URL: 'nope',
        NODE_ENV: 'staging',
      }),
    ).toThrow(
      /GATEWAY_PORT must be an integer[\s\S]*DATABASE_URL must use[\s\S]*RABBITMQ_URL is not a valid URL|NODE_ENV must be one of/,
    );
    try {
      loadConfig({ GATEWAY_PORT: 'abc', DATABASE_URL: 'mysql://x', RABBITMQ_URL: 'nope' });
    } catch (err) {
      const lines = (err as Error).message.split('\n').filter((l) => l.startsWith('  - '));
      expect(lines).toHaveLength(3);
    }
  });

  it('requires a real encryption key in production and refuses loopback webhooks there', () => {
    const key = `prod1:${Buffer.alloc(32, 7).toString('base64')}`;
    const prod = {
      NODE_ENV: 'production',
      RABBITMQ_URL: 'amqps://nixflex:s3cret@mq.internal:5671',
      PUBLIC_WEBHOOK_BASE_URL: 'https://hooks.example.com',
    };
    expect(() => loadConfig(prod)).toThrow(/CREDENTIALS_ENCRYPTION_KEY is required/);
    expect(() => loadConfig({ ...prod, CREDENTIALS_ENCRYPTION_KEY: DEV_ENCRYPTION_KEY })).toThrow(
      /must not be the development key/,
    );
    expect(loadConfig({ ...prod, CREDENTIALS_ENCRYPTION_KEY: key }).allowLoopbackWebhooks).toBe(false);
    expect(() =>
      loadConfig({ ...prod, CREDENTIALS_ENCRYPTION_KEY: key, ALLOW_LOOPBACK_WEBHOOKS: 'true' }),
    ).toThrow(/ALLOW_LOOPBACK_WEBHOOKS/);
    expect(() =>
      loadConfig({ ...prod, CREDENTIALS_ENCRYPTION_KEY: key, CLOCK_OFFSET_MS: '3600000' }),
    ).toThrow(/CLOCK_OFFSET_MS is for tests only/);
    expect(loadConfig({ CLOCK_OFFSET_MS: '-3600000' }).clockOffsetMs).toBe(-3_600_000);
  });

  it('refuses in production, all at once and each named: guest, plain-HTTP public URLs, the development key', () => {
    const problems = (env: Record<string, string>): string[] => {
      try {
        loadConfig({ NODE_ENV: 'production', ...env });
        return [];
      } catch (err) {
        return (err as Error).message
          .split('\n')
          .slice(1)
          .map((l) => l.replace(/^\s*- /, ''));
      }
    };
    const dev = `${DEV_ENCRYPTION_KEY},other:${Buffer.alloc(32, 3).toString('base64')}`;
    expect(
      problems({
        RABBITMQ_URL: 'amqp://guest:guest@mq.internal:5672',
        PUBLIC_WEBHOOK_BASE_URL: 'http://hooks.example.com',
        CREDENTIALS_ENCRYPTION_KEY: dev,
      }),
    ).toEqual([
      'CREDENTIALS_ENCRYPTION_KEY must not be the development key in production',
      "RABBITMQ_URL must not use RabbitMQ's guest account in production",
      'PUBLIC_WEBHOOK_BASE_URL must be https:// in production (Twilio sends call and SMS data to it)',
      "PUBLIC_VOICE_BASE_URL must be wss:// in production (callers' speech travels over it)",
    ]);
    // Nothing set: the defaults (guest, http://localhost) are refused by name.
    expect(problems({ CREDENTIALS_ENCRYPTION_KEY: `k:${Buffer.alloc(32, 4).toString('base64')}` })).toEqual([
      'RABBITMQ_URL is required in production (the default uses the guest account)',
      'PUBLIC_WEBHOOK_BASE_URL is required in production (the default is http://localhost)',
      "PUBLIC_VOICE_BASE_URL must be wss:// in production (callers' speech travels over it)",
    ]);
    const good = {
      RABBITMQ_URL: 'amqp://nixflex:s3cret@mq.internal:5672',
      PUBLIC_WEBHOOK_BASE_URL: 'https://hooks.example.com',
      CREDENTIALS_ENCRYPTION_KEY: `k:${Buffer.alloc(32, 4).toString('base64')}`,
    };
    expect(problems(good)).toEqual([]);
    expect(problems({ ...good, PUBLIC_VOICE_BASE_URL: 'ws://voice.example.com' })).toEqual([
      "PUBLIC_VOICE_BASE_URL must be wss:// in production (callers' speech travels over it)",
    ]);
    // Development and test keep their defaults.
    expect(() => loadConfig({ NODE_ENV: 'development' })).not.toThrow();
  });

  it('accepts several keys for rotation, the first one encrypting', () => {
    const a = `new:${Buffer.alloc(32, 1).toString('base64')}`;
    const b = `old:${Buffer.alloc(32, 2).toString('base64')}`;
    expect(
      loadConfig({ CREDENTIALS_ENCRYPTION_KEY: `${a},${b}` }).credentialsEncryptionKeys.map((k) => k.id),
    ).toEqual(['new', 'old']);
    expect(() => loadConfig({ CREDENTIALS_ENCRYPTION_KEY: 'k:short' })).toThrow(/base64-of-32-bytes/);
  });
});
