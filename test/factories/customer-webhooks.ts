/** Test data and tools for customer webhooks: a real HTTP receiver and real events on the stack's broker. */
import * as amqp from 'amqplib';
import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rabbitmqUrl } from '../harness/infra';
import { Stack, waitFor } from '../harness/stack';
import type { TestAccount } from './accounts';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

type Reply = number | { status: number; headers?: Record<string, string> } | 'hang';

/**
 * A customer's webhook endpoint: records every request, answers from a
 * script (`plan`) and then with `fallback` (200 by default).
 */
export class Receiver {
  readonly received: ReceivedWebhook[] = [];
  private script: Reply[] = [];
  fallback: Reply = 200;
  private readonly sockets = new Set<import('node:net').Socket>();

  private constructor(
    private readonly server: http.Server,
    readonly host: string,
  ) {}

  static async start(host = '127.0.0.1'): Promise<Receiver> {
    const server = http.createServer();
    const r = new Receiver(server, host);
    server.on('connection', (s) => {
      r.sockets.add(s);
      s.on('close', () => r.sockets.delete(s));
    });
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        r.received.push({
          path: req.url ?? '',
          headers: req.headers as Record<string, string>,
          body,
          at: Date.now(),
        });
        const reply = r.script.shift() ?? r.fallback;
        if (reply === 'hang') return;
        const { status, headers } = typeof reply === 'number' ? { status: reply, headers: {} } : reply;
        res.writeHead(status, headers).end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, resolve);
    });
    return r;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Base URL, e.g. http://127.0.0.1:1234 or http://[::1]:1234 */
  get origin(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  url(path = '/hooks'): string {
    return `${this.origin}${path}`;
  }

  /** The next replies, in order (a status, a status with headers, or 'hang' = never answer). */
  plan(...replies: Reply[]): this {
    this.script.push(...replies);
    return this;
  }

  /** Requests for one event (the webhook-id header). */
  forEvent(eventId: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.headers['webhook-id'] === eventId);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

export interface CustomerEventInput {
  event_id: string;
  account_id: string;
  phone_number: string | null;
  agent_id: string | null;
  type: 'sms.received' | 'sms.status_updated' | 'sms.replied' | 'sms.opted_out' | 'sms.opted_in';
  occurred_at: string;
  data: Record<string, unknown>;
}

export function newEventId(): string {
  return `evt_${randomBytes(8).toString('hex')}`;
}

/** A `customer-events.emit.v1` payload about an agent (no number) unless overridden. */
export function customerEvent(
  account: TestAccount,
  overrides: Partial<CustomerEventInput> = {},
): CustomerEventInput {
  return {
    event_id: newEventId(),
    account_id: account.account_id,
    phone_number: null,
    agent_id: null,
    type: 'sms.received',
    occurred_at: new Date().toISOString(),
    data: { message_id: `msg_${randomBytes(8).toString('hex')}`, from: '+447700900123', body: 'Hi there' },
    ...overrides,
  };
}

/**
 * Publishes the event on the stack's real broker, exactly as a service's
 * outbox relay would (events exchange, routing key, persistent JSON, a fresh
 * message id per publish).
 */
export async function publishCustomerEvent(stack: Stack, event: CustomerEventInput): Promise<void> {
  const conn = await amqp.connect(rabbitmqUrl());
  try {
    const ch = await conn.createConfirmChannel();
    ch.publish(`${stack.prefix}.events`, 'customer-events.emit.v1', Buffer.from(JSON.stringify(event)), {
      persistent: true,
      contentType: 'application/json',
      messageId: randomUUID(),
      type: 'customer-events.emit.v1',
    });
    await ch.waitForConfirms();
    await ch.close();
  } finally {
    await conn.close();
  }
}

/** A customer event the webhooks service dead-lettered (read off its dead queue, then put back). */
export async function deadLetter(stack: Stack, eventId: string): Promise<{ reason: string } | null> {
  const conn = await amqp.connect(rabbitmqUrl());
  try {
    const ch = await conn.createChannel();
    const seen: amqp.GetMessage[] = [];
    let found: { reason: string } | null = null;
    for (;;) {
      const msg = await ch.get(`${stack.prefix}.webhooks.dead`, { noAck: false });
      if (!msg) break;
      seen.push(msg);
      const body = JSON.parse(msg.content.toString()) as { event_id?: string };
      if (body.event_id === eventId) {
        found = { reason: String(msg.properties.headers?.['x-nixflex-error'] ?? '') };
      }
    }
    for (const m of seen) ch.nack(m, false, true);
    await ch.close();
    return found;
  } finally {
    await conn.close();
  }
}

/** The delivery of an event as the API shows it, once `done` says it is in the wanted state. */
export async function deliveryOf(
  account: TestAccount,
  eventId: string,
  done: (d: any) => boolean = (d) => d.status !== 'pending',
  timeoutMs = 20000,
): Promise<any> {
  return waitFor(
    `delivery of ${eventId}`,
    async () => {
      const list = await account.api.get('/v1/webhook-deliveries?limit=200');
      const d = (list.body?.data ?? []).find((x: any) => x.event_id === eventId);
      if (!d || !done(d)) return undefined;
      const full = await account.api.get(`/v1/webhook-deliveries/${d.id}`);
      return full.status === 200 ? full.body : undefined;
    },
    timeoutMs,
    50,
  );
}

export async function webhookSecret(account: TestAccount): Promise<string> {
  const res = await account.api.get('/v1/webhook-secret');
  if (res.status !== 200) throw new Error(`webhook-secret: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.secret;
}

/** Settings for a stack whose retries take milliseconds, not hours. */
export const FAST_WEBHOOK_ENV = {
  CUSTOMER_WEBHOOK_RETRY_SCHEDULE_MS: '100,200,400',
  CUSTOMER_WEBHOOK_POLL_MS: '50',
  CUSTOMER_WEBHOOK_TIMEOUT_MS: '1500',
};
