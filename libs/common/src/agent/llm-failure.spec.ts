import { LlmError } from './llm-client';
import { llmFailureText } from './llm-failure';

describe('llmFailureText', () => {
  it('keeps the HTTP status and drops the provider text and socket errors', () => {
    const provider = new LlmError('LLM error 500: upstream sk-live-123 at 10.0.0.7 exploded', 500, false);
    expect(llmFailureText(provider)).toBe('The language model failed (HTTP 500)');
    const socket = new Error('connect ECONNREFUSED 10.0.0.7:443');
    expect(llmFailureText(socket)).toBe('The language model could not be reached or failed');
    expect(llmFailureText(new LlmError('fetch failed: 10.0.0.7', undefined, false))).not.toContain(
      '10.0.0.7',
    );
  });
});
