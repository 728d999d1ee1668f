import { Logger } from '@nestjs/common';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { AppError, SerializedAppError } from '../errors';
import { observeRpc } from '../metrics/instruments';
import type { CommandKey, CommandRequest, CommandResponse, EventKey, EventPayload } from '../contracts';
import { AmqpBroker } from './amqp-broker';

const REPLY_TO = 'amq.rabbitmq.reply-to';

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** The reply envelope a command handler sends back. */
export type RpcReply = { ok: true; data: unknown } | { ok: false; error: SerializedAppError };

/**
 * Sends commands (request/reply over RabbitMQ's direct reply-to, with a
 * timeout that becomes `504 upstream_timeout`) and publishes events. Errors
 * raised by the remote handler come back as AppError with their code intact.
 */
export class BrokerClient {
  private readonly logger = new Logger('BrokerClient');
  private rpcChannel?: ConfirmChannel;
  private readonly pending = new Map<string, Pending>();
  private rpcReady?: Promise<void>;

  constructor(
    private readonly broker: AmqpBroker,
    private readonly defaultTimeoutMs: number,
  ) {}

  /** Publishes an event with a publisher confirm. Used by the outbox relay. */
  async publishEvent<K extends EventKey>(
    key: K,
    payload: EventPayload<K>,
    opts: { messageId?: string; headers?: Record<string, unknown> } = {},
  ): Promise<void> {
    await this.publishRawEvent(key, Buffer.from(JSON.stringify(payload)), opts);
  }

  async publishRawEvent(
    key: string,
    content: Buffer,
    opts: { messageId?: string; headers?: Record<string, unknown> } = {},
  ): Promise<void> {
    await this.broker.publish(this.broker.topology.eventsExchange, key, content, {
      messageId: opts.messageId ?? randomUUID(),
      type: key,
      headers: opts.headers,
    });
  }

  async request<K extends CommandKey>(
    key: K,
    payload: CommandRequest<K>,
    opts: {
      timeoutMs?: number;
      /**
       * Drop the command if no service took it before the timeout: for asks
       * whose answer is worthless once the asker moved on (a caller's history
       * after 400 ms, a call's TwiML after Twilio's window), so a restarted
       * service does not do them for nobody. Creating commands keep the
       * default: they wait in the durable queue and run later (idempotently).
       */
      expireWithTimeout?: boolean;
    } = {},
  ): Promise<CommandResponse<K>> {
    await this.ensureRpc();
    const ch = this.rpcChannel;
    if (!ch) throw new AppError('service_unavailable', 'Message broker is unavailable; try again shortly');
    const correlationId = randomUUID();
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new AppError('upstream_timeout', `No answer to ${key} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer });
    });
    const sent = new Promise<void>((resolve, reject) => {
      try {
        // Direct reply-to needs the request published on the consuming channel.
        const ok = ch.publish(
          this.broker.topology.commandsExchange,
          key,
          Buffer.from(JSON.stringify(payload)),
          {
            persistent: true,
            contentType: 'application/json',
            correlationId,
            replyTo: REPLY_TO,
            messageId: correlationId,
            type: key,
            timestamp: Date.now(),
            ...(opts.expireWithTimeout ? { expiration: String(timeoutMs) } : {}),
            mandatory: true,
          },
          (err: unknown) =>
            err ? reject(new AppError('service_unavailable', 'Message broker did not confirm')) : resolve(),
        );
        void ok;
      } catch {
        reject(new AppError('service_unavailable', 'Message broker is unavailable; try again shortly'));
      }
    });
    // The reply can arrive before the publisher confirm; mark the rejection as
    // handled now so it is not reported as unhandled while we await the confirm.
    result.catch(() => undefined);
    observeRpc(key, result);
    try {
      await sent;
    } catch (err) {
      this.settle(correlationId);
      throw err;
    }
    return (await result) as CommandResponse<K>;
  }

  private settle(correlationId: string): Pending | undefined {
    const p = this.pending.get(correlationId);
    if (p) {
      clearTimeout(p.timer);
      this.pending.delete(correlationId);
    }
    return p;
  }

  private ensureRpc(): Promise<void> {
    this.rpcReady ??= this.broker.onSetup((model) => this.setupRpc(model));
    return this.rpcReady;
  }

  private async setupRpc(model: ChannelModel): Promise<void> {
    const ch = await model.createConfirmChannel();
    ch.on('error', (err: Error) => this.logger.warn(`rpc channel error: ${err.message}`));
    ch.on('close', () => {
      if (this.rpcChannel === ch) this.rpcChannel = undefined;
      // Replies for requests in flight can no longer reach us.
      for (const [id, p] of this.pending) {
        this.settle(id);
        p.reject(new AppError('service_unavailable', 'Connection to the message broker was lost'));
      }
    });
    // A command nobody is bound to (service never started) comes back here.
    ch.on('return', (msg: ConsumeMessage) => {
      const p = this.settle(msg.properties.correlationId as string);
      p?.reject(new AppError('service_unavailable', `No service handles ${msg.fields.routingKey}`));
    });
    await ch.consume(REPLY_TO, (msg) => msg && this.onReply(msg), { noAck: true });
    this.rpcChannel = ch;
  }

  private onReply(msg: ConsumeMessage): void {
    const p = this.settle(msg.properties.correlationId as string);
    if (!p) return;
    let reply: RpcReply;
    try {
      reply = JSON.parse(msg.content.toString()) as RpcReply;
    } catch {
      p.reject(new AppError('internal_error', 'Malformed reply from service'));
      return;
    }
    if (reply.ok) p.resolve(reply.data);
    else
      p.reject(
        AppError.isSerialized(reply.error)
          ? AppError.from(reply.error)
          : new AppError('internal_error', 'Internal error'),
      );
  }
}
