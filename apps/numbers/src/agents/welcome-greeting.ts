import { AppError, WELCOME_GREETING_MAX, WELCOME_GREETING_PLACEHOLDER } from '@nixflex/common';

/** Any `{{...}}` in a greeting. */
const ANY_PLACEHOLDER = /\{\{[^{}]*\}\}/g;
/** The one that is filled in (as renderGreeting matches it: inner spaces allowed). */
const BUSINESS_NAME = /^\{\{\s*business_name\s*\}\}$/;

/**
 * A `welcome_greeting` of an agent or a number, as it is stored:
 * `undefined` = leave as is; `null`, "" or only whitespace = clear (the
 * default greeting); longer than WELCOME_GREETING_MAX code points (as
 * Postgres counts them; the DTO's check counts emoji differently) or with a
 * placeholder other than `{{business_name}}` = `validation_failed`, because a
 * caller would otherwise hear the braces read aloud.
 */
export function normalizeWelcomeGreeting(value: string | null | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || value.trim() === '') return null;
  const length = [...value].length;
  if (length > WELCOME_GREETING_MAX) {
    throw invalid(`welcome_greeting is ${length} characters; the maximum is ${WELCOME_GREETING_MAX}`);
  }
  const unknown = (value.match(ANY_PLACEHOLDER) ?? []).filter((p) => !BUSINESS_NAME.test(p));
  if (unknown.length > 0) {
    throw invalid(
      `welcome_greeting has the placeholder ${unknown[0]}; the only placeholder is ${WELCOME_GREETING_PLACEHOLDER}`,
    );
  }
  return value;
}

/** The same code and shape as a DTO validation failure, so clients handle both alike. */
function invalid(message: string): AppError {
  return new AppError('validation_failed', `Invalid request: ${message}`, [
    { field: 'welcome_greeting', messages: [message] },
  ]);
}
