import 'reflect-metadata';
import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { randomBytes } from 'node:crypto';
import * as amqp from 'amqplib';
import { IsString, Length } from 'class-validator';
import {
  AmqpBroker,
  AmqpContext,
  AmqpServer,
  AppError,
  BrokerClient,
  HEADER_ATTEMPTS,
  HEADER_ERROR,
  RpcErrorFilter,
  Topology,
  brokerDeadLetters,
  brokerRetries,
  createValidationPipe,
} from '@nixflex/common';
import { rabbitmqUrl } from '../harness/infra';
import { waitFor } from '../harness/stack';

class EchoCommand {
  @IsString()
  @Length(1, 10)
  text: string;
}

const seen: { key: string; attempt: number; data: unknown }[] = [];

@Controller()
class TestHandlers {
  @MessagePattern('test.echo.v1')
  echo(@Payload() cmd: EchoCommand): { echoed: string } {
    return { echoed: cmd.text };
  }

  @MessagePattern('test.refuse.v1')
  refuse(): never {
    throw new AppError('agent_not_found', 'no such agent');
  }

  @EventPattern('test.ok.v1')
  ok(@Payload() data: unknown, @Ctx() ctx: AmqpContext): void {
    seen.push({ key: ctx.routingKey, attempt: ctx.attempt, data });
  }

  @EventPattern('test.flaky.v1')
  flaky(@Payload() data: unknown, @Ctx() ctx: AmqpContext): void {
    seen.push({ key: ctx.routingKey, attempt: ctx.attempt, data });
    throw new Error('database is down');
  }

  @EventPattern('test.refused.v1')
  refused(@Payload() data: unknown, @Ctx() ctx: AmqpContext): void {
    seen.push({ key: ctx.routingKey, attempt: ctx.attempt, data });
    throw new AppError('number_not_found', 'not ours');
  }
}

@Module({ controllers: [TestHandlers] })
class TestModule {}

describe('AmqpServer transport on a real RabbitMQ', () => {
  const topology = new Topology(`test.transport.${randomBytes(4).toString('hex')}`);
  const broker = new AmqpBroker(rabbitmqUrl(), topology);
  let app: INestMicroservice;
  let client: BrokerClient;
  let conn: amqp.ChannelModel;

  beforeAll(async () => {
    await broker.start();
    app = await NestFactory.createMicroservice(TestModule, {
      strategy: new AmqpServer(broker, {
        service: 'webhooks',
        prefetch: 4,
        eventPrefetch: 4,
        maxAttempts: 3,
        retryDelayMs: 50,
      }),
      logger: false,
    });
    app.useGlobalPipes(createValidationPipe());
    app.useGlobalFilters(new RpcErrorFilter());
    await app.listen();
    client = new BrokerClient(broker, 3000);
    conn = await amqp.connect(rabbitmqUrl());
  });

  afterAll(async () => {
    const ch = await conn.createChannel();
    for (const q of topology.allQueues('webhooks')) await ch.deleteQueue(q);
    for (const ex of topology.allExchanges()) await ch.deleteExchange(ex);
    await conn.close();
    await app.close();
    await broker.close();
  });

  async function deadLetters(): Promise<amqp.GetMessage[]> {
    const ch = await conn.createChannel();
    const out: amqp.GetMessage[] = [];
    for (;;) {
      const m = await ch.get(topology.deadQueue('webhooks'), { noAck: true });
      if (!m) break;
      out.push(m);
    }
    await ch.close();
    return out;
  }

  async function queueDepth(queue: string): Promise<number> {
    const ch = await conn.createChannel();
    const { messageCount } = await ch.checkQueue(queue);
    await ch.close();
    return messageCount;
  }

  it('answers a command with the handler result', async () => {
    await expect(client.request('test.echo.v1' as any, { text: 'hi' } as any)).resolves.toEqual({
      echoed: 'hi',
    });
  });

  it('returns a bad payload as a typed validation error, not "Internal server error"', async () => {
    await expect(client.request('test.echo.v1' as any, { text: '', extra: 1 } as any)).rejects.toMatchObject({
      code: 'validation_failed',
      status: 400,
    });
  });

  it('carries a business error with its code and HTTP status', async () => {
    await expect(client.request('test.refuse.v1' as any, {} as any)).rejects.toMatchObject({
      code: 'agent_not_found',
      status: 404,
      message: 'no such agent',
    });
  });

  it('answers 503 at once for a command no service is bound to', async () => {
    await expect(client.request('test.nobody.v1' as any, {} as any)).rejects.toMatchObject({
      code: 'service_unavailable',
    });
  });

  it('delivers an event once and acks it only after the handler', async () => {
    await client.publishRawEvent('test.ok.v1', Buffer.from('{"n":1}'));
    await waitFor('event handled', async () => seen.some((s) => s.key === 'test.ok.v1'));
    expect(seen.filter((s) => s.key === 'test.ok.v1')).toEqual([
      { key: 'test.ok.v1', attempt: 1, data: { n: 1 } },
    ]);
    await waitFor('queue empty', async () => (await queueDepth(topology.eventQueue('webhooks'))) === 0);
  });

  it('retries a failing event a bounded number of times, then dead-letters it with the reason', async () => {
    await client.publishRawEvent('test.flaky.v1', Buffer.from('{"n":2}'));
    const dead = await waitFor('dead letter', async () => {
      const d = await deadLetters();
      return d.length ? d : undefined;
    });
    expect(seen.filter((s) => s.key === 'test.flaky.v1').map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(dead).toHaveLength(1);
    expect(dead[0].properties.headers?.[HEADER_ERROR]).toContain('database is down');
    expect(dead[0].properties.headers?.[HEADER_ATTEMPTS]).toBe(2);
    // ... and the metrics say so (this process's registry).
    expect(await counted(brokerRetries, { queue: 'webhooks.events' })).toBe(2);
    expect(await counted(brokerDeadLetters, { queue: 'webhooks.events', reason: 'exhausted' })).toBe(1);
  });

  it('dead-letters a business refusal at once: retrying cannot change it', async () => {
    await client.publishRawEvent('test.refused.v1', Buffer.from('{"n":3}'));
    const dead = await waitFor('dead letter', async () => {
      const d = await deadLetters();
      return d.length ? d : undefined;
    });
    expect(seen.filter((s) => s.key === 'test.refused.v1')).toHaveLength(1);
    expect(String(dead[0].properties.headers?.[HEADER_ERROR])).toContain('number_not_found');
    expect(await counted(brokerDeadLetters, { queue: 'webhooks.events', reason: 'refused' })).toBe(1);
  });

  it('dead-letters unknown routing keys and bodies that are not JSON instead of leaving them unacked', async () => {
    const ch = await conn.createConfirmChannel();
    ch.sendToQueue(topology.eventQueue('webhooks'), Buffer.from('{}'), { persistent: true });
    await ch.waitForConfirms();
    await ch.close();
    await client.publishRawEvent('test.ok.v1', Buffer.from('not json'));
    const dead = await waitFor('two dead letters', async () => {
      const d = await deadLetters();
      return d.length ? d : undefined;
    });
    const all = [
      ...dead,
      ...(await waitFor('second', async () => (await deadLetters()) || [], 2000).catch(() => [])),
    ];
    const reasons = all.map((m) => String(m.properties.headers?.[HEADER_ERROR]));
    expect(reasons.some((r) => r.includes('no handler for event'))).toBe(true);
    expect(await counted(brokerDeadLetters, { queue: 'webhooks.events', reason: 'no_handler' })).toBe(1);
    await waitFor('queue empty', async () => (await queueDepth(topology.eventQueue('webhooks'))) === 0);
  });
});

/** A counter's value summed over the series whose labels include `labels`. */
async function counted(
  metric: typeof brokerRetries | typeof brokerDeadLetters,
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k as never] === x))
    .reduce((sum, v) => sum + v.value, 0);
}
