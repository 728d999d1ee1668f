import { AppError, config } from '@nixflex/common';

/**
 * An agent's `llm_model` as it is stored: `undefined` = leave as is; `null`
 * or "" = clear (the engine's `LLM_MODEL`); any other model must be on
 * `LLM_ALLOWED_MODELS`, else `model_not_allowed` naming the allowed ones,
 * since every model runs on the platform's key.
 */
export function checkLlmModel(
  value: string | null | undefined,
  allowed: readonly string[] = config().llm.allowedModels,
): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || value === '') return null;
  if (!allowed.includes(value)) {
    throw new AppError(
      'model_not_allowed',
      `llm_model ${JSON.stringify(value.slice(0, 200))} is not allowed; allowed models: ${allowed.join(', ')}`,
      [{ field: 'llm_model', messages: [`must be one of: ${allowed.join(', ')}`] }],
    );
  }
  return value;
}
