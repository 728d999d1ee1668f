import { Logger } from '@nestjs/common';
import * as amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, Options, RecoveringChannelModel } from 'amqplib';
import { AppError } from '../errors';
import { countPublish } from '../metrics/instruments';
import { Topology } from './topology';

type SetupFn = (model: ChannelModel) => Promise<void>;

/**
 * One RabbitMQ connection per process, recovered automatically. Everything
 * that needs channels (publisher, RPC client, consumers) registers a setup
 * function that runs after every (re)connect, so consumers and topology come
 * back by themselves after a broker restart.
 */
export class AmqpBroker {
  private readonly logger = new Logger('AmqpBroker');
  private connection?: RecoveringChannelModel;
  private model?: ChannelModel;
  private publisher?: ConfirmChannel;
  private readonly setups: SetupFn[] = [];
  private closing = false;

  constructor(
    readonly url: string,
    readonly topology: Topology,
  ) {}

  get connected(): boolean {
    return this.model !== undefined && this.publisher !== undefined;
  }

  async start(): Promise<void> {
    if (this.connection) return;
    this.connection = await amqp.connect(withHeartbeat(this.url), {
      recovery: {
        initialDelay: 200,
        maxDelay: 5000,
        maxRetries: Infinity,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.onConnect(model),
      },
    });
    this.connection.on('disconnect', (err: Error) => {
      this.model = undefined;
      this.publisher = undefined;
      if (!this.closing) this.logger.warn(`RabbitMQ connection lost: ${err?.message ?? 'closed'}`);
    });
    this.connection.on('connect-failed', (err: Error) => {
      this.logger.warn(`RabbitMQ not reachable at ${redactUrl(this.url)}: ${err.message}`);
    });
    this.connection.on('error', (err: Error) => this.logger.warn(`RabbitMQ error: ${err.message}`));
    await this.connection.waitForConnect();
  }

  /** Runs `fn` now if connected, and after every reconnect. */
  async onSetup(fn: SetupFn): Promise<void> {
    this.setups.push(fn);
    if (this.model) await fn(this.model);
  }

  private async onConnect(model: ChannelModel): Promise<void> {
    const publisher = await model.createConfirmChannel();
    publisher.on('error', (err: Error) => this.logger.warn(`publisher channel error: ${err.message}`));
    await this.assertExchanges(publisher);
    this.model = model;
    this.publisher = publisher;
    for (const fn of this.setups) await fn(model);
    this.logger.log(`connected to RabbitMQ at ${redactUrl(this.url)}`);
  }

  async assertExchanges(ch: Channel): Promise<void> {
    await ch.assertExchange(this.topology.commandsExchange, 'direct', { durable: true });
    await ch.assertExchange(this.topology.eventsExchange, 'topic', { durable: true });
    await ch.assertExchange(this.topology.deadLetterExchange, 'direct', { durable: true });
  }

  /**
   * Publishes a persistent message and resolves only when the broker has
   * confirmed it (written to disk for durable queues). Rejects with
   * `service_unavailable` when the broker cannot take it.
   */
  async publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish = {},
  ): Promise<void> {
    const ch = this.publisher;
    if (!ch) throw new AppError('service_unavailable', 'Message broker is unavailable; try again shortly');
    await new Promise<void>((resolve, reject) => {
      try {
        ch.publish(
          exchange,
          routingKey,
          content,
          { persistent: true, contentType: 'application/json', timestamp: Date.now(), ...options },
          (err: unknown) =>
            err
              ? reject(new AppError('service_unavailable', 'Message broker did not confirm the message'))
              : resolve(),
        );
      } catch {
        reject(new AppError('service_unavailable', 'Message broker is unavailable; try again shortly'));
      }
    }).then(
      () => countPublish(this.topology.prefix, exchange, routingKey, true),
      (err: unknown) => {
        countPublish(this.topology.prefix, exchange, routingKey, false);
        throw err;
      },
    );
  }

  async createChannel(): Promise<Channel> {
    if (!this.model) throw new AppError('service_unavailable', 'Message broker is unavailable');
    return this.model.createChannel();
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.connection?.close().catch(() => undefined);
    this.connection = undefined;
    this.model = undefined;
    this.publisher = undefined;
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/** Heartbeats let both sides notice a dead peer within seconds, not at TCP timeout. */
function withHeartbeat(url: string): string {
  return /[?&]heartbeat=/.test(url) ? url : `${url}${url.includes('?') ? '&' : '?'}heartbeat=10`;
}
