import { Logger } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { lastValueFrom } from 'rxjs';
import { AppError, SerializedAppError, isTransientInfrastructureError } from '../errors';
import { until } from '../poll/until';
import { DeadLetterReason, countConsume, countDeadLetter } from '../metrics/instruments';
import { AmqpBroker } from './amqp-broker';
import type { RpcReply } from './broker-client';
import { HEADER_ATTEMPTS, HEADER_ERROR, HEADER_ORIGINAL_ROUTING_KEY, ServiceName } from './topology';

export interface AmqpServerOptions {
  service: ServiceName;
  /** Unacked commands (request/reply) in flight at once. */
  prefetch: number;
  /**
   * Unacked events in flight at once, on a channel of their own: a backlog of
   * delivery work (dispatches, status callbacks) never holds up a command the
   * API is waiting on, and keeping it below the database pool leaves
   * connections free for commands.
   */
  eventPrefetch: number;
  /** Attempts an event gets before it is dead-lettered. */
  maxAttempts: number;
  /** First retry delay; doubles each attempt. */
  retryDelayMs: number;
}

/** Handlers can read the broker message id (for inbox de-duplication) and attempt number. */
export class AmqpContext extends BaseRpcContext<[ConsumeMessage]> {
  get message(): ConsumeMessage {
    return this.args[0];
  }
  get messageId(): string {
    return (this.message.properties.messageId as string | undefined) ?? '';
  }
  get routingKey(): string {
    return routingKeyOf(this.message);
  }
  get attempt(): number {
    return Number(this.message.properties.headers?.[HEADER_ATTEMPTS] ?? 0) + 1;
  }
}

/**
 * A Nest transport on amqplib, written because Nest's RMQ transport has no
 * per-service event queues with routing-key bindings, bounded retries or
 * dead-lettering. Guarantees:
 * - commands (@MessagePattern) and events (@EventPattern) consume their own
 *   durable queues on their own channels, each with its own prefetch, with
 *   manual acks;
 * - a message is acked only after its handler resolved (its work committed);
 * - an event whose handler fails is retried with exponential delay through a
 *   TTL retry queue, then dead-lettered to `<prefix>.<service>.dead`;
 *   an AppError (a business refusal) is dead-lettered at once: retrying
 *   cannot change it;
 * - unknown routing keys and unparseable bodies are dead-lettered, never left
 *   unacked;
 * - a command's error reaches the caller with its code and HTTP status.
 */
export class AmqpServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger('AmqpServer');
  private channels: Channel[] = [];
  /** The consumers to cancel when draining, and the handlers still running. */
  private consumers: { ch: Channel; tag: string }[] = [];
  private inFlight = 0;
  private draining = false;

  constructor(
    private readonly broker: AmqpBroker,
    private readonly options: AmqpServerOptions,
  ) {
    super();
  }

  on(): void {
    // Status events are not used; the broker logs connection changes.
  }

  unwrap<T>(): T {
    return this.broker as T;
  }

  listen(callback: (...optionalParams: unknown[]) => any): void {
    this.broker
      .onSetup((model) => this.setup(model))
      .then(
        () => callback(),
        (err: Error) => callback(err),
      );
  }

  async close(): Promise<void> {
    for (const ch of this.channels) await ch.close().catch(() => undefined);
    this.channels = [];
  }

  /**
   * Graceful drain: cancels every consumer (RabbitMQ sends this process
   * nothing more; unacked prefetched messages go back to the queue when the
   * channel closes) and waits, at most until `deadline`, for the handlers
   * already running to finish and ack. A reconnect meanwhile consumes nothing.
   */
  async drain(deadline: number): Promise<void> {
    this.draining = true;
    await Promise.all(this.consumers.map(({ ch, tag }) => ch.cancel(tag).catch(() => undefined)));
    this.consumers = [];
    if (!(await until(() => this.inFlight === 0, deadline))) {
      this.logger.warn(`drain bound reached with ${this.inFlight} handlers still running`);
    }
  }

  /** Counts a handler run while it is in flight (the drain waits for none). */
  private track(work: Promise<void>): void {
    this.inFlight++;
    void work.finally(() => this.inFlight--);
  }

  private keys(eventHandlers: boolean): string[] {
    return [...this.messageHandlers.entries()]
      .filter(([, h]) => Boolean(h.isEventHandler) === eventHandlers)
      .map(([key]) => key);
  }

  private async setup(model: ChannelModel): Promise<void> {
    const t = this.broker.topology;
    const svc = this.options.service;
    const ch = await model.createChannel();
    ch.on('error', (err: Error) => this.logger.warn(`command channel error: ${err.message}`));
    await ch.prefetch(this.options.prefetch);
    await this.broker.assertExchanges(ch);
    const deadLetter = {
      'x-dead-letter-exchange': t.deadLetterExchange,
      'x-dead-letter-routing-key': t.deadQueue(svc),
    };
    await ch.assertQueue(t.deadQueue(svc), { durable: true });
    await ch.bindQueue(t.deadQueue(svc), t.deadLetterExchange, t.deadQueue(svc));
    await ch.assertQueue(t.retryQueue(svc), {
      durable: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': t.eventQueue(svc) },
    });

    const commandKeys = this.keys(false);
    const eventKeys = this.keys(true);
    await ch.assertQueue(t.commandQueue(svc), { durable: true, arguments: deadLetter });
    for (const key of commandKeys) await ch.bindQueue(t.commandQueue(svc), t.commandsExchange, key);
    await ch.assertQueue(t.eventQueue(svc), { durable: true, arguments: deadLetter });
    for (const key of eventKeys) await ch.bindQueue(t.eventQueue(svc), t.eventsExchange, key);

    const consumers: { ch: Channel; tag: string }[] = [];
    if (commandKeys.length > 0 && !this.draining) {
      const { consumerTag } = await ch.consume(
        t.commandQueue(svc),
        (msg) => msg && this.track(this.onCommand(ch, msg)),
        { noAck: false },
      );
      consumers.push({ ch, tag: consumerTag });
    }
    const events = await model.createChannel();
    events.on('error', (err: Error) => this.logger.warn(`event channel error: ${err.message}`));
    await events.prefetch(this.options.eventPrefetch);
    // Consumed even without handlers, so stale bindings dead-letter instead of piling up.
    if (!this.draining) {
      const { consumerTag } = await events.consume(
        t.eventQueue(svc),
        (msg) => msg && this.track(this.onEvent(events, msg)),
        { noAck: false },
      );
      consumers.push({ ch: events, tag: consumerTag });
    }
    this.channels = [ch, events];
    this.consumers = consumers;
    this.logger.log(
      `${svc}: ${commandKeys.length} commands (prefetch ${this.options.prefetch}), ` +
        `${eventKeys.length} events (prefetch ${this.options.eventPrefetch})`,
    );
  }

  private parse(msg: ConsumeMessage): unknown {
    return JSON.parse(msg.content.toString('utf8'));
  }

  private async run(handler: MessageHandler, data: unknown, msg: ConsumeMessage): Promise<unknown> {
    const ctx = new AmqpContext([msg]);
    return lastValueFrom(this.transformToObservable(await handler(data, ctx)), { defaultValue: undefined });
  }

  private async onCommand(ch: Channel, msg: ConsumeMessage): Promise<void> {
    const key = msg.fields.routingKey;
    const handler = this.getHandlerByPattern(key);
    let reply: RpcReply;
    if (!handler) {
      await this.deadLetter(ch, msg, `no handler for command ${key}`, 'no_handler');
      reply = { ok: false, error: new AppError('internal_error', `No handler for ${key}`).toJSON() };
      await this.reply(msg, reply);
      return;
    }
    try {
      const data = await this.run(handler, this.parse(msg), msg);
      reply = { ok: true, data: data ?? null };
    } catch (err) {
      reply = { ok: false, error: toSerializedError(err, this.logger, key) };
    }
    await this.reply(msg, reply);
    settle(ch, msg, 'ack');
    countConsume(this.queueOf(msg), 'ack');
  }

  /** The queue a message came from, for metrics: `<service>.commands` or `<service>.events`. */
  private queueOf(msg: ConsumeMessage): string {
    const kind = msg.fields.exchange === this.broker.topology.commandsExchange ? 'commands' : 'events';
    return `${this.options.service}.${kind}`;
  }

  private async reply(msg: ConsumeMessage, reply: RpcReply): Promise<void> {
    const { replyTo, correlationId } = msg.properties;
    if (!replyTo) return;
    // The caller may be gone (timed out, restarted); a lost reply is harmless.
    await this.broker
      .publish('', replyTo as string, Buffer.from(JSON.stringify(reply)), {
        correlationId,
        persistent: false,
      })
      .catch(() => undefined);
  }

  private async onEvent(ch: Channel, msg: ConsumeMessage): Promise<void> {
    const key = routingKeyOf(msg);
    const handler = this.getHandlerByPattern(key);
    if (!handler) {
      await this.deadLetter(ch, msg, `no handler for event ${key}`, 'no_handler');
      return;
    }
    let data: unknown;
    try {
      data = this.parse(msg);
    } catch {
      await this.deadLetter(ch, msg, 'body is not valid JSON', 'bad_json');
      return;
    }
    try {
      await this.run(handler, data, msg);
      settle(ch, msg, 'ack');
      countConsume(this.queueOf(msg), 'ack');
    } catch (err) {
      const error = toSerializedError(err, this.logger, key);
      const attempt = Number(msg.properties.headers?.[HEADER_ATTEMPTS] ?? 0) + 1;
      if (error.code !== 'internal_error' && error.code !== 'service_unavailable') {
        await this.deadLetter(ch, msg, `${error.code}: ${error.message}`, 'refused');
      } else if (attempt >= this.options.maxAttempts) {
        await this.deadLetter(
          ch,
          msg,
          `failed ${attempt} times: ${error.internal ?? error.message}`,
          'exhausted',
        );
      } else {
        await this.retry(ch, msg, attempt, error.internal ?? error.message);
      }
    }
  }

  private async retry(ch: Channel, msg: ConsumeMessage, attempt: number, reason: string): Promise<void> {
    const delay = Math.min(this.options.retryDelayMs * 2 ** (attempt - 1), 5 * 60_000);
    try {
      await this.broker.publish('', this.broker.topology.retryQueue(this.options.service), msg.content, {
        ...msg.properties,
        expiration: String(Math.round(delay * (0.8 + Math.random() * 0.4))),
        headers: {
          ...msg.properties.headers,
          [HEADER_ATTEMPTS]: attempt,
          [HEADER_ERROR]: reason.slice(0, 500),
          [HEADER_ORIGINAL_ROUTING_KEY]: routingKeyOf(msg),
        },
      });
      ch.ack(msg);
      countConsume(this.queueOf(msg), 'retry');
    } catch {
      settle(ch, msg, 'requeue');
      countConsume(this.queueOf(msg), 'requeue');
    }
  }

  private async deadLetter(
    ch: Channel,
    msg: ConsumeMessage,
    reason: string,
    why: DeadLetterReason,
  ): Promise<void> {
    this.logger.warn(`dead-lettering ${routingKeyOf(msg)} (${msg.properties.messageId}): ${reason}`);
    countDeadLetter(this.queueOf(msg), why);
    countConsume(this.queueOf(msg), 'dead_letter');
    try {
      await this.broker.publish('', this.broker.topology.deadQueue(this.options.service), msg.content, {
        ...msg.properties,
        expiration: undefined,
        headers: {
          ...msg.properties.headers,
          [HEADER_ERROR]: reason.slice(0, 500),
          [HEADER_ORIGINAL_ROUTING_KEY]: routingKeyOf(msg),
        },
      });
      ch.ack(msg);
    } catch {
      // The queue's own dead-letter exchange routes it to the same place.
      settle(ch, msg, 'reject');
    }
  }
}

/**
 * Acks (or rejects) unless the channel closed meanwhile (broker restart,
 * shutdown): then RabbitMQ has already put the message back for redelivery,
 * and the inbox and state checks make the second delivery harmless.
 */
function settle(ch: Channel, msg: ConsumeMessage, how: 'ack' | 'reject' | 'requeue'): void {
  try {
    if (how === 'ack') ch.ack(msg);
    else ch.nack(msg, false, how === 'requeue');
  } catch {
    // IllegalOperationError: channel closed; see above.
  }
}

/** A retried message comes back through the default exchange; its own key travels in a header. */
export function routingKeyOf(msg: ConsumeMessage): string {
  const original = msg.properties.headers?.[HEADER_ORIGINAL_ROUTING_KEY];
  return typeof original === 'string' ? original : msg.fields.routingKey;
}

export function toSerializedError(err: unknown, logger: Logger, key: string): SerializedAppError {
  if (err instanceof AppError) return err.toJSON();
  if (AppError.isSerialized(err)) return { ...err, status: err.status ?? 500 };
  if (isTransientInfrastructureError(err)) {
    logger.warn(`handler for ${key} hit an unavailable dependency: ${(err as Error).message}`);
    return {
      ...new AppError('service_unavailable', 'A dependency is unavailable; try again shortly').toJSON(),
      internal: (err as Error).message,
    };
  }
  logger.error(`handler for ${key} failed: ${(err as Error)?.stack ?? String(err)}`);
  return {
    ...new AppError('internal_error', 'Internal error').toJSON(),
    internal: (err as Error)?.message ?? String(err),
  };
}
