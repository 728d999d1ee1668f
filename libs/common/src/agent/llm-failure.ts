import { LlmError } from './llm-client';

/**
 * What a tenant sees (a message's or a call's `error_message`) when the LLM
 * failed: our wording and the HTTP status, never the provider's error text or
 * a raw socket error, which can carry prompts, keys, hosts or internal
 * addresses. The full error goes to the service log.
 */
export function llmFailureText(err: unknown): string {
  const status = err instanceof LlmError ? err.status : undefined;
  return status !== undefined
    ? `The language model failed (HTTP ${status})`
    : 'The language model could not be reached or failed';
}
