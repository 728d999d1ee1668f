import type { Config } from '../config';

/** What the LLM client needs (the `LLM_*` variables); injected, never read from the environment here. */
export type LlmSettings = Config['llm'];

/** Injection token of the `LlmSettings` the `LlmClient` is built from. */
export const LLM_SETTINGS = 'NIXFLEX_LLM_SETTINGS';

/** The model when neither the agent nor `LLM_MODEL` names one. */
export const DEFAULT_LLM_MODEL = 'gpt-4o-mini';
