/** A test's own client on a stack's broker: commands and events as the services send them. */
import { AmqpBroker, BrokerClient, Topology } from '@nixflex/common';
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
