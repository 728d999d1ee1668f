import { Logger } from '@nestjs/common';
import { AppError, BrokerClient, MessagingCommands } from '@nixflex/common';
import type { Call } from '../data/call.entities';

/**
 * How long a call waits for messaging to accept an SMS it asked for. The
 * command expires with it, so a text nobody took in time is not sent later
 * behind the agent's back (the agent was told it was not sent).
 */
export const CALL_SMS_TIMEOUT_MS = 5000;

/** What the agent is told of an SMS it asked for; `say` is words it can use as they are. */
export type CallSmsOutcome =
  { ok: true; message_id: string; say: string } | { ok: false; error: string; say: string };

export const CALL_SMS_SAY = {
  sent: 'The text was sent to the caller.',
  optedOut: 'The caller has opted out of texts from this number, so it was not sent.',
  tooLong: 'The text was too long to send as an SMS, so it was not sent.',
  failed: 'The text could not be sent just now.',
} as const;

/**
 * The one way a call texts its caller, whether the model wrote a
 * `[SEND_SMS: …]` tag or called the `send_sms` tool: messaging's
 * `sms.call-send.v1` (the normal pipeline: opt-outs, the 1600 cap, our number
 * on the call as the sender, `call_id` and `source: in_call` on the message),
 * idempotent on `idempotencyKey`, so a retried turn texts once. Never throws.
 */
export class CallSms {
  private readonly logger = new Logger('CallSms');

  constructor(
    private readonly broker: BrokerClient,
    private readonly timeoutMs = CALL_SMS_TIMEOUT_MS,
  ) {}

  async send(call: Call, message: string, idempotencyKey: string): Promise<CallSmsOutcome> {
    try {
      const accepted = await this.broker.request(
        MessagingCommands.callSmsSend,
        {
          account_id: call.accountId,
          agent_id: call.agentId,
          call_id: call.id,
          from_number: call.ourNumber,
          to: call.otherParty,
          message,
          source: 'in_call',
          idempotency_key: idempotencyKey,
        },
        { timeoutMs: this.timeoutMs, expireWithTimeout: true },
      );
      return { ok: true, message_id: accepted.message_id, say: CALL_SMS_SAY.sent };
    } catch (err) {
      const code = err instanceof AppError ? err.code : 'failed';
      // The code only: the error's message could quote the text, which is the caller's business.
      this.logger.warn(`${call.id}: in-call SMS not sent: ${code}`);
      return { ok: false, error: code, say: sayFor(code) };
    }
  }
}

function sayFor(code: string): string {
  if (code === 'recipient_opted_out') return CALL_SMS_SAY.optedOut;
  if (code === 'message_too_long') return CALL_SMS_SAY.tooLong;
  return CALL_SMS_SAY.failed;
}
