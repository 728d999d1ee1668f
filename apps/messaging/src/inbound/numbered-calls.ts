import type { AgentTool } from '@nixflex/common/agent';

/**
 * The tools with each call's id replaced by its tool's name and rank in one
 * reply (`book_appointment.0`, `book_appointment.1`, ...). A model's own
 * tool-call ids are new every time it is asked, so a reply redone after a
 * crash would build new idempotency keys on them and book again; the rank of
 * the call in the reply is the same the second time. Make one set per reply.
 */
export function numberedCalls(tools: readonly AgentTool[]): AgentTool[] {
  const counts = new Map<string, number>();
  return tools.map((tool) => ({
    spec: tool.spec,
    run: (args, ctx) => {
      const n = counts.get(tool.spec.name) ?? 0;
      counts.set(tool.spec.name, n + 1);
      return tool.run(args, { ...ctx, toolCallId: `${tool.spec.name}.${n}` });
    },
  }));
}
