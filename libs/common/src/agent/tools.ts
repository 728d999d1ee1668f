import type { ToolCall, ToolSpec } from './llm-client';

/**
 * Something the agent can do by calling a function (OpenAI tools): send an
 * SMS during a call, look up free slots, book one. `run` resolves to the text
 * the model is given as the result; an expected failure (slot taken, opted
 * out, calendar down) is a result the model can say, never an exception.
 */
export interface AgentTool {
  spec: ToolSpec;
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<string>;
}

export interface ToolContext {
  /** The model's id for this call: stable across a retried turn's same call, a good idempotency key part. */
  toolCallId: string;
  /** Aborted when the turn is cut (the caller interrupts) or the tools' time is up. */
  signal?: AbortSignal;
}

/** How far one agent turn's tools may go: this many rounds, this long in all. */
export interface ToolLimits {
  maxRounds: number;
  maxMs: number;
}

/** A tool call and what came of it. */
export interface ToolRun {
  call: ToolCall;
  result: string;
}

/** A result in the shape every tool answers with on failure: a code, and words the agent can say. */
export function toolFailure(error: string, say: string): string {
  return JSON.stringify({ ok: false, error, say });
}

/**
 * Runs one round of tool calls side by side, each bounded by what is left of
 * the turn's time (`deadline`, a `performance.now()` instant): unknown tools,
 * arguments that are not a JSON object, exceptions and timeouts each become a
 * failure result the model can act on.
 */
export async function runToolCalls(
  tools: readonly AgentTool[],
  calls: readonly ToolCall[],
  deadline: number,
  signal?: AbortSignal,
): Promise<ToolRun[]> {
  return Promise.all(
    calls.map(async (call): Promise<ToolRun> => {
      const tool = tools.find((t) => t.spec.name === call.name);
      if (!tool)
        return { call, result: toolFailure('unknown_tool', `There is no tool called ${call.name}.`) };
      let args: unknown;
      try {
        args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
      } catch {
        args = null;
      }
      if (!args || typeof args !== 'object' || Array.isArray(args)) {
        return {
          call,
          result: toolFailure('invalid_arguments', 'The tool arguments were not a JSON object.'),
        };
      }
      return {
        call,
        result: await withDeadline(tool, args as Record<string, unknown>, call, deadline, signal),
      };
    }),
  );
}

async function withDeadline(
  tool: AgentTool,
  args: Record<string, unknown>,
  call: ToolCall,
  deadline: number,
  outer?: AbortSignal,
): Promise<string> {
  const left = Math.max(0, deadline - performance.now());
  const abort = new AbortController();
  const onOuter = () => abort.abort();
  outer?.addEventListener('abort', onOuter, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve(toolFailure('timeout', 'That is taking too long; it did not finish.'));
    }, left);
  });
  try {
    return await Promise.race([
      tool
        .run(args, { toolCallId: call.id, signal: abort.signal })
        .catch(() => toolFailure('failed', 'That did not work just now.')),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}
