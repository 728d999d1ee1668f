import { clampReply, parseKeyword } from './keywords';

describe('parseKeyword', () => {
  it('recognises single trimmed case-insensitive words only', () => {
    expect(parseKeyword('  stop ')).toEqual({ kind: 'opt_out', word: 'STOP' });
    expect(parseKeyword('Unsubscribe')?.kind).toBe('opt_out');
    expect(parseKeyword('unstop')?.kind).toBe('opt_in');
    expect(parseKeyword('yes')?.kind).toBe('yes');
    expect(parseKeyword('Info')?.kind).toBe('help');
    expect(parseKeyword('stop it')).toBeNull();
    expect(parseKeyword('hello')).toBeNull();
  });

  it('clamps replies to 600 characters', () => {
    expect(clampReply(' hi ')).toBe('hi');
    expect(clampReply('word '.repeat(300)).length).toBeLessThanOrEqual(600);
  });
});
