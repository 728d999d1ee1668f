import { creatableNameProblem, databaseNameOf, quoteIdentifier } from '../db/create-database';
import {
  EXIT_CONFIG,
  EXIT_UNAVAILABLE,
  brokerFailure,
  configFailure,
  postgresFailure,
  redactSecrets,
} from './start-failure';

describe('start failures', () => {
  it('masks the password of every URL in a text', () => {
    expect(redactSecrets('a postgres://u:p%40ss@h:5432/db and amqp://guest:guest@rabbit:5672 b')).toBe(
      'a postgres://u:***@h:5432/db and amqp://guest:***@rabbit:5672 b',
    );
    expect(redactSecrets('no url here, http://host/path?x=1')).toBe('no url here, http://host/path?x=1');
  });

  it('puts every bad variable of the configuration error on one line', () => {
    const f = configFailure(new Error('Invalid environment:\n  - A is required\n  - B must be an integer'));
    expect(f.message).toBe(
      'Invalid environment: A is required; B must be an integer. Fix the environment (see README "Configuration")',
    );
    expect(f.exitCode).toBe(EXIT_CONFIG);
  });

  it('tells an unreachable Postgres (worth waiting for) from a refused login (a mistake)', () => {
    const url = 'postgres://postgres:secret@db.internal/nixflex';
    const down = postgresFailure(
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      url,
    );
    expect(down.message).toMatch(
      /^Postgres at db\.internal:5432 is unreachable \(connect ECONNREFUSED .*\)\. Start it with: /,
    );
    expect([down.exitCode, down.transient]).toEqual([EXIT_UNAVAILABLE, true]);
    const refused = postgresFailure(
      Object.assign(new Error('password authentication failed for user "postgres"'), { code: '28P01' }),
      url,
    );
    expect(refused.message).toContain('Check the user and password in DATABASE_URL');
    expect([refused.exitCode, refused.transient]).toEqual([EXIT_CONFIG, false]);
    expect(`${down.message}${refused.message}`).not.toContain('secret');
  });

  it('tells an unreachable RabbitMQ from a refused login', () => {
    const url = 'amqps://guest:secret@mq.internal';
    expect(brokerFailure(new Error('getaddrinfo ENOTFOUND mq.internal'), url).message).toMatch(
      /^RabbitMQ at mq\.internal:5671 is unreachable .* rabbitmq-server -detached/,
    );
    const refused = brokerFailure(new Error('Handshake terminated by server: 403 (ACCESS-REFUSED)'), url);
    expect([refused.exitCode, refused.transient]).toEqual([EXIT_CONFIG, false]);
  });
});

describe('database names', () => {
  it('reads the name from the URL path', () => {
    expect(databaseNameOf('postgres://u@h:5432/nixflex?sslmode=disable')).toBe('nixflex');
    expect(databaseNameOf('postgres://u@h/my%2Ddb')).toBe('my-db');
    expect(databaseNameOf('postgres://u@h')).toBe('');
  });

  it('creates plain names only, and quotes identifiers safely anyway', () => {
    expect(creatableNameProblem('nixflex')).toBeUndefined();
    expect(creatableNameProblem('nixflex_test-1.a')).toBeUndefined();
    for (const odd of ['', 'a b', 'x"; DROP DATABASE y; --', 'é', 'a'.repeat(64)]) {
      expect(creatableNameProblem(odd)).toBeDefined();
    }
    expect(quoteIdentifier('we"ird')).toBe('"we""ird"');
    expect(() => quoteIdentifier('a\0b')).toThrow();
  });
});
