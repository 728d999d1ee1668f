import type { AgentTool } from '@nixflex/common/agent';
import { numberedCalls } from './numbered-calls';

function recording(name: string, seen: string[]): AgentTool {
  return {
    spec: { name, description: name, parameters: { type: 'object', properties: {} } },
    run: async (_args, ctx) => {
      seen.push(ctx.toolCallId);
      return '{"ok":true}';
    },
  };
}

describe('numberedCalls', () => {
  it("replaces the model's call ids with the tool's name and rank, the same in a redone reply", async () => {
    const runOnce = async (modelIds: string[]) => {
      const seen: string[] = [];
      const [check, book] = numberedCalls([
        recording('check_availability', seen),
        recording('book_appointment', seen),
      ]);
      await check.run({}, { toolCallId: modelIds[0] });
      await book.run({}, { toolCallId: modelIds[1] });
      await book.run({}, { toolCallId: modelIds[2] });
      return seen;
    };
    const first = await runOnce(['call_a', 'call_b', 'call_c']);
    expect(first).toEqual(['check_availability.0', 'book_appointment.0', 'book_appointment.1']);
    expect(await runOnce(['call_x', 'call_y', 'call_z'])).toEqual(first);
  });

  it('keeps the spec and passes the signal on', async () => {
    let signal: AbortSignal | undefined;
    const tool: AgentTool = {
      spec: { name: 't', description: 'd', parameters: {} },
      run: async (_a, ctx) => {
        signal = ctx.signal;
        return '';
      },
    };
    const [wrapped] = numberedCalls([tool]);
    expect(wrapped.spec).toBe(tool.spec);
    const abort = new AbortController();
    await wrapped.run({}, { toolCallId: 'x', signal: abort.signal });
    expect(signal).toBe(abort.signal);
  });
});
