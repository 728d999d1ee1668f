import { loadSmsSettings, retryDelayMs } from './sms.settings';

describe('retryDelayMs', () => {
  const s = { retryBaseMs: 1000, retryMaxMs: 60_000 } as any;
  it('doubles per attempt with jitter in [0.5, 1.5) and caps', () => {
    expect(retryDelayMs(s, 1, () => 0)).toBe(500);
    expect(retryDelayMs(s, 1, () => 0.999)).toBe(1499);
    expect(retryDelayMs(s, 3, () => 0.5)).toBe(4000);
    expect(retryDelayMs(s, 30, () => 0.5)).toBe(60_000);
  });
});

describe('loadSmsSettings', () => {
  it('lists every bad variable at once', () => {
    expect(() =>
      loadSmsSettings({ SMS_DISPATCH_POLL_MS: '10', SMS_RETRY_BASE_MS: 'soon', SMS_MAX_SEND_ATTEMPTS: '3' }),
    ).toThrow(/SMS_DISPATCH_POLL_MS[\s\S]*SMS_RETRY_BASE_MS/);
    expect(loadSmsSettings({ SMS_MAX_SEND_ATTEMPTS: '3' }).maxAttempts).toBe(3);
  });
});
