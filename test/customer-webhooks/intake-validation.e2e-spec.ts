import * as amqp from 'amqplib';
import { CustomerEvents, HEADER_ERROR, Topology } from '@nixflex/common';
import { rabbitmqUrl } from '../harness/infra';
import { Stack, waitFor } from '../harness/stack';

/**
 * The webhooks service is an HTTP app that also consumes RabbitMQ. Its event
 * handlers must validate payloads like every other service: a malformed
 * `customer-events.emit.v1` is refused as `validation_failed` and
 * dead-lettered at once (a retry cannot fix it), and nothing is stored.
 */
describe('webhooks validates the events it consumes', () => {
  let stack: Stack;
  let conn: amqp.ChannelModel;

  beforeAll(async () => {
    stack = await Stack.start();
    conn = await amqp.connect(rabbitmqUrl());
  });

  afterAll(async () => {
    await conn?.close();
    await stack?.stop();
  });

  it('dead-letters a malformed customer event at once as validation_failed', async () => {
    const topology = new Topology(stack.prefix);
    const ch = await conn.createConfirmChannel();
    const body = { event_id: 'evt_bad', account_id: 'not-an-account', type: 'sms.nonsense' };
    ch.publish(topology.eventsExchange, CustomerEvents.emit, Buffer.from(JSON.stringify(body)), {
      persistent: true,
      contentType: 'application/json',
      messageId: 'msg_bad_event',
    });
    await ch.waitForConfirms();
    const dead = await waitFor('dead letter', async () => {
      const m = await ch.get(topology.deadQueue('webhooks'), { noAck: true });
      return m || undefined;
    });
    await ch.close();
    expect(String(dead.properties.headers?.[HEADER_ERROR])).toContain('validation_failed');
    const stored = await stack.sql(`SELECT count(*)::int AS n FROM "webhooks"."customer_webhook_deliveries"`);
    expect(stored[0].n).toBe(0);
  });
});
