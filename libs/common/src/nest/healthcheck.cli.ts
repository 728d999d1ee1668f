/**
 * `node dist/libs/common/src/nest/healthcheck.cli.js <process>`: is this
 * process of the cluster healthy? Exit 0 when it is, 1 when it is not, with
 * one line saying why. docker-compose.yml runs it as every app container's
 * healthcheck, with the container's own environment.
 *
 * - gateway, webhooks, voice: GET /health on 127.0.0.1; the process's own database
 *   and broker must be up (the gateway's 503 for a service elsewhere being
 *   down does not make the gateway container unhealthy);
 * - numbers, messaging: their health command over RabbitMQ, answered within 3 s;
 * - sandbox, llm-stub, calcom-sandbox: GET /__admin/health.
 */
import { Logger } from '@nestjs/common';
import { AmqpBroker } from '../broker/amqp-broker';
import { BrokerClient } from '../broker/broker-client';
import { Topology } from '../broker/topology';
import { config } from '../config';
import { SystemCommands } from '../contracts/system';

const TIMEOUT_MS = 3000;

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

async function overBroker(key: 'numbers.health.v1' | 'messaging.health.v1'): Promise<string | undefined> {
  const cfg = config();
  const broker = new AmqpBroker(cfg.rabbitmqUrl, new Topology(cfg.brokerPrefix));
  try {
    await Promise.race([
      broker.start(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('RabbitMQ did not answer')), TIMEOUT_MS)),
    ]);
    const reply = await new BrokerClient(broker, TIMEOUT_MS).request(key, {});
    return reply.database === 'up' && reply.broker === 'up'
      ? undefined
      : `database ${reply.database}, broker ${reply.broker}`;
  } finally {
    await broker.close();
  }
}

async function ownHealth(port: number): Promise<string | undefined> {
  const { status, body } = await getJson(`http://127.0.0.1:${port}/health`);
  if (body?.database === 'up' && body?.broker === 'up') return undefined;
  return `GET /health answered ${status}: ${JSON.stringify(body)}`;
}

async function check(name: string): Promise<string | undefined> {
  switch (name) {
    case 'gateway':
      return ownHealth(config().gatewayPort);
    case 'webhooks':
      return ownHealth(config().webhooksPort);
    case 'voice':
      return ownHealth(config().voicePort);
    case 'numbers':
      return overBroker(SystemCommands.numbersHealth);
    case 'messaging':
      return overBroker(SystemCommands.messagingHealth);
    case 'sandbox':
    case 'llm-stub':
    case 'calcom-sandbox': {
      // The tools read their port straight from the environment (see tools/*/src/main.ts).
      const port =
        name === 'sandbox'
          ? process.env.SANDBOX_PORT || '4010'
          : name === 'llm-stub'
            ? process.env.LLM_STUB_PORT || '4020'
            : process.env.CALCOM_SANDBOX_PORT || '4030';
      const { status } = await getJson(`http://127.0.0.1:${port}/__admin/health`);
      return status === 200 ? undefined : `GET /__admin/health answered ${status}`;
    }
    default:
      throw new Error(`unknown process "${name}"`);
  }
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  const name = process.argv[2] ?? '';
  const problem = await check(name).catch((err: Error) => err.message);
  if (problem) {
    process.stdout.write(`${name}: unhealthy (${problem})\n`);
    process.exit(1);
  }
  process.stdout.write(`${name}: healthy\n`);
  process.exit(0);
}

void main();
