/** What one model call cost, as the provider reported it. */
export interface LlmUsage {
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
}

/**
 * The tokens of one reply or call turn, which may take several model calls
 * (tool rounds): summed, under the model of the last call.
 */
export class UsageTally {
  model: string | null = null;
  promptTokens = 0;
  completionTokens = 0;
  calls = 0;

  /** Pass as a request's `onUsage`. */
  readonly add = (u: LlmUsage): void => {
    this.model = u.model;
    this.promptTokens += Math.max(0, Math.trunc(u.prompt_tokens));
    this.completionTokens += Math.max(0, Math.trunc(u.completion_tokens));
    this.calls++;
  };

  get total(): number {
    return this.promptTokens + this.completionTokens;
  }

  /** Nothing was reported (no model call finished). */
  get empty(): boolean {
    return this.calls === 0;
  }
}
