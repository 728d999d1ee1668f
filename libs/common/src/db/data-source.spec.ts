import { createDataSource, withoutValues } from './data-source';

/** A failed query is logged without its parameters or the value Postgres quotes (real Postgres). */
describe('failed-query logging', () => {
  it('withholds quoted values and keeps quoted names', () => {
    expect(withoutValues('invalid input syntax for type integer: "+447700900123"')).toBe(
      'invalid input syntax for type integer: "(withheld)"',
    );
    expect(
      withoutValues('duplicate key value violates unique constraint "phone_numbers_phone_number_key"'),
    ).toBe('duplicate key value violates unique constraint "phone_numbers_phone_number_key"');
    expect(withoutValues('relation "numbers.x" does not exist')).toBe('relation "numbers.x" does not exist');
  });

  const url = process.env.NIXFLEX_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

  it('prints the SQL and the error, never the parameters', async () => {
    const ds = await createDataSource({ service: 'messaging', databaseUrl: url, poolSize: 1 }).initialize();
    const lines: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await expect(
        ds.query('SELECT $1::int AS n, $2::text AS body', ['+447700900123', 'Your code is 991122']),
      ).rejects.toThrow();
    } finally {
      spy.mockRestore();
      await ds.destroy();
    }
    const log = lines.join('');
    expect(log).toContain('query failed [22003]: value "(withheld)" is out of range for type integer');
    expect(log).toContain('SELECT $1::int AS n, $2::text AS body');
    expect(log).not.toContain('+447700900123');
    expect(log).not.toContain('991122');
  });
});
