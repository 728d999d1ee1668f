/** A test's own client on a stack's broker: commands and events as the services send them. */
import { AmqpBroker, BrokerClient, Topology } from '@nixflex/common';
import * as amqp from 'amqplib';
import { rabbitmqUrl } from '../harness/infra';
import { Stack } from '../harness/stack';

export interface StackBroker {
  client: BrokerClient;
  close(): Promise<void>;
}

/** A BrokerClient on `stack`'s broker namespace, its requests timing out after `timeoutMs`. */
export async function brokerFor(stack: Stack, timeoutMs = 10_000): Promise<StackBroker> {
  const broker = new AmqpBroker(rabbitmqUrl(), new Topology(stack.prefix));
  await broker.start();
  return { client: new BrokerClient(broker, timeoutMs), close: () => broker.close() };
}

export interface EventTap {
  /** Every event seen so far, in arrival order. */
  events: { key: string; body: any }[];
  close(): Promise<void>;
}

/** Records the events with these routing keys on `stack`'s events exchange (a private queue of the test's). */
export async function tapEvents(stack: Stack, keys: string[]): Promise<EventTap> {
  const conn = await amqp.connect(rabbitmqUrl());
  const ch = await conn.createChannel();
  const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  for (const key of keys) await ch.bindQueue(queue, `${stack.prefix}.events`, key);
  const events: EventTap['events'] = [];
  await ch.consume(
    queue,
    (msg) => msg && events.push({ key: msg.fields.routingKey, body: JSON.parse(msg.content.toString()) }),
    { noAck: true },
  );
  return { events, close: () => conn.close() };
}
