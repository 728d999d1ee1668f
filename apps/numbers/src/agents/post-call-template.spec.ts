import { AppError } from '@nixflex/common';
import { normalizePostCallTemplate } from './post-call-template';

describe('normalizePostCallTemplate', () => {
  it('leaves undefined alone, clears null and blanks, keeps a template of known variables', () => {
    expect(normalizePostCallTemplate(undefined)).toBeUndefined();
    expect(normalizePostCallTemplate(null)).toBeNull();
    expect(normalizePostCallTemplate('')).toBeNull();
    expect(normalizePostCallTemplate(' \n ')).toBeNull();
    const ok = 'Thanks for calling {{business_name}}! {{ booking_time }} {{booking_link}}';
    expect(normalizePostCallTemplate(ok)).toBe(ok);
    expect(normalizePostCallTemplate('No variables at all')).toBe('No variables at all');
  });

  it('refuses unknown variables with invalid_template, naming each once, in order', () => {
    let error: unknown;
    try {
      normalizePostCallTemplate('Hi {{name}}, {{business_name}} {{ name }} {{foo}}');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    const e = error as AppError;
    expect(e.code).toBe('invalid_template');
    expect(e.status).toBe(400);
    expect(e.message).toBe(
      'post_call_sms_template uses unknown variables: {{name}}, {{foo}}; known: {{business_name}}, ' +
        '{{agent_name}}, {{caller_number}}, {{call_summary}}, {{booking_time}}, {{booking_link}}',
    );
    expect(e.details).toMatchObject({ field: 'post_call_sms_template', unknown_variables: ['name', 'foo'] });
  });
});
