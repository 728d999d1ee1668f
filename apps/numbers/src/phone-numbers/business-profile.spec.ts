import { AppError } from '@nixflex/common';
import { composeSystemPrompt, normalizeCustomPrompt } from './business-profile';

describe('business profile', () => {
  it('leaves the agent prompt alone without a custom prompt', () => {
    expect(composeSystemPrompt('Be friendly.', null)).toBe('Be friendly.');
  });

  it('appends a BUSINESS PROFILE section after the agent prompt', () => {
    const p = composeSystemPrompt('Be friendly.\n', 'Smile Dental, Croydon. Open 9-5.');
    expect(p.startsWith('Be friendly.\n\nBUSINESS PROFILE\n')).toBe(true);
    expect(p).toContain('these details win');
    expect(p.endsWith('Smile Dental, Croydon. Open 9-5.')).toBe(true);
  });

  it('is only the section when the agent has no prompt', () => {
    expect(composeSystemPrompt('', 'Bright Bite').startsWith('BUSINESS PROFILE\n')).toBe(true);
  });

  it('clears on null / empty, refuses more than 8000 characters (counted as code points)', () => {
    expect(normalizeCustomPrompt(undefined)).toBeUndefined();
    expect(normalizeCustomPrompt(null)).toBeNull();
    expect(normalizeCustomPrompt('  ')).toBeNull();
    expect(normalizeCustomPrompt('😀'.repeat(8000))).toHaveLength(16000);
    expect(() => normalizeCustomPrompt('x'.repeat(8001))).toThrow(AppError);
    try {
      normalizeCustomPrompt('x'.repeat(8001));
    } catch (e) {
      expect((e as AppError).code).toBe('custom_prompt_too_long');
    }
  });
});
