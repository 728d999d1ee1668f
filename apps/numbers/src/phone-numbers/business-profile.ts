import { AppError, CUSTOM_PROMPT_MAX } from '@nixflex/common';

/**
 * The prompt the engine gives the model for a number (agent prompt, then the
 * BUSINESS PROFILE that wins on a conflict) is worded once, in the agent layer
 * that SMS and voice replies compose their prompts with.
 */
export {
  BUSINESS_PROFILE_HEADING,
  withBusinessProfile as composeSystemPrompt,
} from '@nixflex/common/agent/prompt';

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
