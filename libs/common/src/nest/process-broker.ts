import { AmqpBroker } from '../broker/amqp-broker';
import { Topology } from '../broker/topology';
import { config } from '../config';

let broker: AmqpBroker | undefined;

/** The one RabbitMQ connection of this process, shared by the server and clients. */
export function processBroker(): AmqpBroker {
  const cfg = config();
  broker ??= new AmqpBroker(cfg.rabbitmqUrl, new Topology(cfg.brokerPrefix));
  return broker;
}
