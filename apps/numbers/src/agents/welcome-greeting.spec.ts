import { AppError } from '@nixflex/common';
import { normalizeWelcomeGreeting } from './welcome-greeting';

function codeOf(fn: () => unknown): { code: string; message: string } | null {
  try {
    fn();
    return null;
  } catch (e) {
    return { code: (e as AppError).code, message: (e as AppError).message };
  }
}

describe('normalizeWelcomeGreeting', () => {
  it('leaves absent alone and clears null, "" and whitespace', () => {
    expect(normalizeWelcomeGreeting(undefined)).toBeUndefined();
    expect(normalizeWelcomeGreeting(null)).toBeNull();
    expect(normalizeWelcomeGreeting('')).toBeNull();
    expect(normalizeWelcomeGreeting(' \n ')).toBeNull();
  });

  it('keeps a greeting with {{business_name}} (inner spaces too) as written', () => {
    const g = "Hi, you've reached {{business_name}}. {{ business_name }} here!";
    expect(normalizeWelcomeGreeting(g)).toBe(g);
  });

  it('counts code points: 1000 emoji pass, 1001 characters are validation_failed', () => {
    expect(normalizeWelcomeGreeting('😀'.repeat(1000))).toHaveLength(2000);
    expect(codeOf(() => normalizeWelcomeGreeting('x'.repeat(1001)))).toEqual({
      code: 'validation_failed',
      message: 'Invalid request: welcome_greeting is 1001 characters; the maximum is 1000',
    });
  });

  it('refuses any other placeholder, which a caller would hear read aloud', () => {
    expect(codeOf(() => normalizeWelcomeGreeting('Welcome to {{business}}!'))).toEqual({
      code: 'validation_failed',
      message:
        'Invalid request: welcome_greeting has the placeholder {{business}}; the only placeholder is {{business_name}}',
    });
    expect(codeOf(() => normalizeWelcomeGreeting('{{business_name}} / {{ Business_Name }}'))?.code).toBe(
      'validation_failed',
    );
  });
});
