/** Test helpers for inbound SMS: simulated Twilio inbound webhooks and the stub LLM's admin API. */
import { http } from '../harness/api';
import { Stack, waitFor } from '../harness/stack';
import { SmsSender, sandboxAdmin, sandboxMessages } from './sms';

export interface InboundResult {
  message_sid: string;
  deliveries: { status: number; body: string }[];
}

export function inbound(
  stack: Stack,
  from: string,
  to: string,
  body: string,
  opts: { duplicate?: boolean; signature?: 'valid' | 'forged' | 'missing' } = {},
): Promise<InboundResult> {
  return sandboxAdmin(stack, 'POST', '/inbound', { from, to, body, ...opts });
}

export async function llmRequests(stack: Stack): Promise<any[]> {
  return (await http<any[]>('GET', `${stack.llmUrl}/__admin/requests`)).body;
}

export async function llmBehaviour(stack: Stack, behaviour: Record<string, unknown>): Promise<void> {
  await http('POST', `${stack.llmUrl}/__admin/behaviour`, { body: behaviour });
}

/** Waits until the sandbox accepted `n` messages from our number to `to`; returns them. */
export function waitForReplies(stack: Stack, sender: SmsSender, to: string, n = 1) {
  return waitFor(
    `${n} replies to ${to}`,
    async () => {
      const msgs = (await sandboxMessages(stack, { to })).filter((m) => m.from === sender.from_number);
      return msgs.length >= n ? msgs : undefined;
    },
    20_000,
    100,
  );
}

/** The stored inbound message with this Twilio SID, via the public API. */
export function waitForInbound(
  stack: Stack,
  sender: SmsSender,
  sid: string,
  done: (b: any) => boolean = () => true,
) {
  return waitFor(
    `inbound ${sid}`,
    async () => {
      const res = await sender.account.api.get(`/v1/sms/${sid}`);
      return res.status === 200 && done(res.body) ? res.body : undefined;
    },
    20_000,
    100,
  );
}
