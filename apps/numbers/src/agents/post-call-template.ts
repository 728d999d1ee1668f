import { AppError } from '@nixflex/common';
import {
  POST_CALL_TEMPLATE_VARIABLES,
  unknownTemplateVariables,
} from '@nixflex/common/agent/post-call-template';

const braces = (name: string) => `{{${name}}}`;

/**
 * A `post_call_sms_template` of an agent or a number, as it is stored:
 * `undefined` = leave as is; `null`, "" or only whitespace = clear (a number
 * then falls back to its agent's, an agent sends none). A placeholder that is
 * not a known variable = `invalid_template`, naming each one, because the
 * caller would otherwise get an SMS with a hole where the customer meant a
 * value. (Its length, at most 600, is the DTO's check.)
 */
export function normalizePostCallTemplate(value: string | null | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || value.trim() === '') return null;
  const unknown = unknownTemplateVariables(value);
  if (unknown.length > 0) {
    throw new AppError(
      'invalid_template',
      `post_call_sms_template uses unknown variables: ${unknown.map(braces).join(', ')}; ` +
        `known: ${POST_CALL_TEMPLATE_VARIABLES.map(braces).join(', ')}`,
      {
        field: 'post_call_sms_template',
        unknown_variables: unknown,
        known_variables: [...POST_CALL_TEMPLATE_VARIABLES],
      },
    );
  }
  return value;
}
