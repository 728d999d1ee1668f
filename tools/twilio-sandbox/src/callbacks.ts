import { API_VERSION } from './fixtures';
import { hex32 } from './ids';
import { type DeliverRule, type MessageStatus } from './recipient-rules';
import { twilioSignature } from './signing';
import type { Message, SandboxState } from './state';
import type { WebhookTransport } from './webhook-transport';

/**
 * Drives an outbound message through its statuses and POSTs signed status
 * callbacks. No callback for `queued`. Per message, callbacks go out one at a
 * time (each waits for the previous delivery, including its retries), so the
 * default order is the status order. Faults (see POST /__admin/faults
 * `callbacks`) can duplicate, shuffle or hold them.
 */

const RETRY_DELAYS_MS = [50, 200, 800];
const TERMINAL: ReadonlySet<MessageStatus> = new Set(['delivered', 'undelivered', 'failed']);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function shuffled<T>(items: T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export class CallbackEngine {
  constructor(
    private readonly state: SandboxState,
    private readonly transport: WebhookTransport,
    private readonly defaultDelayMs: number,
  ) {}

  /** Starts the status progression of a freshly created (queued) message. */
  start(message: Message, rule: DeliverRule): void {
    this.run(message, rule, this.state.generation).catch((err: unknown) => {
      // A callback problem must never take the sandbox down.
      console.error('[twilio-sandbox] callback loop error', err);
    });
  }

  private async run(message: Message, rule: DeliverRule, generation: number): Promise<void> {
    const fault = this.state.faults.callbacks;
    const delay = Math.max(0, fault?.delay_ms ?? this.defaultDelayMs);
    const statuses = rule.statuses;
    const callbackOrder = fault?.shuffle ? shuffled(statuses) : statuses;
    for (let i = 0; i < statuses.length; i++) {
      await sleep(delay);
      if (generation !== this.state.generation) return;
      this.advance(message, statuses[i], rule);
      if (!message.statusCallback) continue;
      const status = callbackOrder[i];
      if (this.state.faults.callbacks?.hold) {
        this.state.held.push({ message, status, generation });
        continue;
      }
      await this.deliver(message, status, generation, this.state.faults.callbacks?.duplicate === true);
    }
  }

  private advance(message: Message, status: MessageStatus, rule: DeliverRule): void {
    message.status = status;
    message.dateUpdated = new Date();
    if (TERMINAL.has(status) && status !== 'delivered') {
      message.errorCode = rule.errorCode;
      message.errorMessage = rule.errorMessage;
    }
  }

  /** Delivers the held callbacks; returns how many were released. */
  release(): number {
    const held = this.state.held;
    this.state.held = [];
    const byMessage = new Map<string, typeof held>();
    for (const h of held) {
      const list = byMessage.get(h.message.sid) ?? [];
      list.push(h);
      byMessage.set(h.message.sid, list);
    }
    for (const list of byMessage.values()) {
      void (async () => {
        for (const h of list) {
          await this.deliver(
            h.message,
            h.status,
            h.generation,
            this.state.faults.callbacks?.duplicate === true,
          );
        }
      })().catch((err: unknown) => console.error('[twilio-sandbox] release error', err));
    }
    return held.length;
  }

  static params(message: Message, status: MessageStatus): Record<string, string> {
    const params: Record<string, string> = {
      AccountSid: message.accountSid,
      ApiVersion: API_VERSION,
      From: message.from,
      MessageSid: message.sid,
      MessageStatus: status,
      SmsSid: message.sid,
      SmsStatus: status,
      To: message.to,
    };
    if ((status === 'failed' || status === 'undelivered') && message.errorCode !== null) {
      params.ErrorCode = String(message.errorCode);
    }
    return params;
  }

  private async deliver(message: Message, status: MessageStatus, generation: number, duplicate: boolean) {
    const url = message.statusCallback;
    if (!url) return;
    const params = CallbackEngine.params(message, status);
    const idempotencyToken = `${message.sid}-${status}-${hex32().slice(0, 8)}`;
    for (let copy = 0; copy < (duplicate ? 2 : 1); copy++) {
      for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt++) {
        if (generation !== this.state.generation) return;
        const token = this.state.accounts.get(message.accountSid)?.authToken ?? '';
        const result = await this.transport.send(url, 'POST', params, {
          'x-twilio-signature': twilioSignature(token, url, params),
          'i-twilio-idempotency-token': idempotencyToken,
        });
        message.callbacks.push({
          status,
          http_status: result.status,
          at: new Date().toISOString(),
          attempt: attempt + 1,
          ...(result.error ? { error: result.error } : {}),
        });
        const retryable = result.status === 0 || result.status >= 500;
        if (!retryable || attempt === RETRY_DELAYS_MS.length) break;
        await sleep(RETRY_DELAYS_MS[attempt]);
      }
    }
  }
}
