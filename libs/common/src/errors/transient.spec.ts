import {
  QueryFailedError,
  QueryRunnerAlreadyReleasedError,
  QueryRunnerProviderAlreadyReleasedError,
} from 'typeorm';
import { isTransientInfrastructureError } from './transient';

describe('isTransientInfrastructureError', () => {
  it('treats a lost Postgres connection as transient, however TypeORM wraps it', () => {
    expect(isTransientInfrastructureError(new QueryRunnerAlreadyReleasedError())).toBe(true);
    expect(isTransientInfrastructureError(new QueryRunnerProviderAlreadyReleasedError())).toBe(true);
    expect(isTransientInfrastructureError(Object.assign(new Error('terminating'), { code: '57P01' }))).toBe(
      true,
    );
    const wrapped = new QueryFailedError('SELECT 1', [], Object.assign(new Error('x'), { code: '08006' }));
    expect(isTransientInfrastructureError(wrapped)).toBe(true);
    expect(isTransientInfrastructureError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('does not excuse a bad query or a bug', () => {
    const unique = new QueryFailedError('INSERT', [], Object.assign(new Error('dup'), { code: '23505' }));
    expect(isTransientInfrastructureError(unique)).toBe(false);
    expect(isTransientInfrastructureError(new TypeError('x is undefined'))).toBe(false);
    expect(isTransientInfrastructureError(undefined)).toBe(false);
  });
});
