import { AppError, CUSTOM_PROMPT_MAX } from '@nixflex/common';

export const BUSINESS_PROFILE_HEADING = 'BUSINESS PROFILE';

/**
 * The prompt the engine gives the model for a number: the agent's shared
 * template, then the number's business profile. The profile comes last and
 * says it wins, so a reseller's per-number details override the template.
 */
export function composeSystemPrompt(agentPrompt: string, customPrompt: string | null): string {
  if (!customPrompt) return agentPrompt;
  const section = [
    BUSINESS_PROFILE_HEADING,
    'You answer for the business below, reached on this phone number. Where these details conflict with the instructions above, these details win.',
    '',
    customPrompt,
  ].join('\n');
  return agentPrompt.trim() === '' ? section : `${agentPrompt.trimEnd()}\n\n${section}`;
}

/**
 * `undefined` = leave as is; `null`, "" or only whitespace = clear; longer
 * than 8000 characters (code points, as Postgres counts) = custom_prompt_too_long.
 */
export function normalizeCustomPrompt(value: string | null | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || value.trim() === '') return null;
  const length = [...value].length;
  if (length > CUSTOM_PROMPT_MAX) {
    throw new AppError(
      'custom_prompt_too_long',
      `custom_prompt is ${length} characters; the maximum is ${CUSTOM_PROMPT_MAX}`,
      { max: CUSTOM_PROMPT_MAX, length },
    );
  }
  return value;
}
