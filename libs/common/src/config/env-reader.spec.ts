import { EnvReader } from './env-reader';

describe('EnvReader', () => {
  it('returns defaults for unset and empty variables', () => {
    const r = new EnvReader({ B: '' });
    expect(r.int('A', 5, 1, 10)).toBe(5);
    expect(r.int('B', 6, 1)).toBe(6);
    expect(r.str('C', 'x')).toBe('x');
    expect(r.optional('B')).toBeUndefined();
    expect(r.bool('D', true)).toBe(true);
    expect(r.intList('E', [1, 2], 1, 10, 5)).toEqual([1, 2]);
    expect(r.done({ ok: 1 })).toEqual({ ok: 1 });
  });

  it('parses good values', () => {
    const r = new EnvReader({ N: '7', L: '3, 4,5', U: 'https://x.test///', O: 'b', F: 'no' });
    expect(r.int('N', 1, 0, 10)).toBe(7);
    expect(r.intList('L', [], 1, 10, 3)).toEqual([3, 4, 5]);
    expect(r.url('U', undefined, ['https:'])).toBe('https://x.test');
    expect(r.oneOf('O', 'a', ['a', 'b'] as const)).toBe('b');
    expect(r.bool('F', true)).toBe(false);
    expect(r.problems).toEqual([]);
  });

  it('collects every bad variable and throws one error listing them all', () => {
    const r = new EnvReader({
      PORT: 'abc',
      MIN_ONLY: '0',
      LIST: '1,x',
      URL: 'ftp://x',
      MODE: 'z',
      FLAG: 'maybe',
    });
    const out = {
      port: r.int('PORT', 1, 0, 65535),
      minOnly: r.int('MIN_ONLY', 1, 1),
      list: r.intList('LIST', [9], 1, 10, 5),
      url: r.url('URL', 'http://a', ['http:']),
      mode: r.oneOf('MODE', 'a', ['a'] as const),
      flag: r.bool('FLAG', false),
      required: r.str('REQUIRED'),
    };
    r.problem('A and B must not both be set');
    // Reading went on with the fallbacks.
    expect(out.port).toBe(1);
    expect(out.list).toEqual([9]);
    let message = '';
    try {
      r.done(out);
    } catch (err) {
      message = (err as Error).message;
    }
    const lines = message.split('\n');
    expect(lines[0]).toBe('Invalid environment:');
    expect(lines.slice(1)).toEqual([
      '  - PORT must be an integer from 0 to 65535 (got "abc")',
      '  - MIN_ONLY must be an integer >= 1 (got "0")',
      '  - LIST must be up to 5 comma-separated integers, each 1 to 10 (got "1,x")',
      '  - URL must use http: (got "ftp:")',
      '  - MODE must be one of a (got "z")',
      '  - FLAG must be true or false (got "maybe")',
      '  - REQUIRED is required',
      '  - A and B must not both be set',
    ]);
  });

  it('refuses too many list items and an unparseable URL', () => {
    const r = new EnvReader({ L: '1,2,3', U: 'not a url' });
    r.intList('L', [], 1, 10, 2);
    r.url('U', undefined, ['http:']);
    expect(r.problems).toHaveLength(2);
    expect(r.problems[1]).toBe('U is not a valid URL');
  });
});
