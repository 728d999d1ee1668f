import { loadPacingSettings } from './pacing.settings';

describe('pacing settings', () => {
  it('defaults: on, 1 s horizon, 429 from 1 s to 30 s, 21611 60 s, release every 100 ms', () => {
    expect(loadPacingSettings({})).toEqual({
      enabled: true,
      horizonMs: 1000,
      backoff429Ms: 1000,
      backoff429MaxMs: 30_000,
      backoff21611Ms: 60_000,
      releaseTickMs: 100,
      maxWaitMs: null,
    });
  });

  it('reads every variable, and SMS_PACING=off lifts pacing', () => {
    expect(
      loadPacingSettings({
        SMS_PACING: 'off',
        SMS_PACE_HORIZON_MS: '500',
        SMS_PACE_429_BACKOFF_MS: '50',
        SMS_PACE_429_BACKOFF_MAX_MS: '200',
        SMS_PACE_21611_BACKOFF_MS: '3000',
        SMS_PACE_RELEASE_MS: '250',
        SMS_PACE_MAX_WAIT_MS: '0',
      }),
    ).toEqual({
      enabled: false,
      horizonMs: 500,
      backoff429Ms: 50,
      backoff429MaxMs: 200,
      backoff21611Ms: 3000,
      releaseTickMs: 250,
      maxWaitMs: 0,
    });
  });

  it('lists every bad variable in one error', () => {
    expect(() =>
      loadPacingSettings({ SMS_PACING: 'maybe', SMS_PACE_HORIZON_MS: '10', SMS_PACE_RELEASE_MS: 'x' }),
    ).toThrow(/SMS_PACING[\s\S]*SMS_PACE_HORIZON_MS[\s\S]*SMS_PACE_RELEASE_MS/);
  });
});
