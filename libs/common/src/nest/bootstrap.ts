import { INestApplication, INestMicroservice, LogLevel, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { AmqpServer } from '../broker/amqp-server';
import { ServiceName } from '../broker/topology';
import { Config, configOrExit } from '../config';
import { migrate } from '../db/data-source';
import { createValidationPipe } from '../errors';
import { HttpErrorFilter, sendError, toHttpError } from './http-exception.filter';
import { processBroker } from './process-broker';
import { RpcErrorFilter } from './rpc-exception.filter';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

function logLevels(cfg: Config): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(cfg.logLevel) + 1);
}

async function prepare(service: ServiceName): Promise<Config> {
  const cfg = configOrExit();
  const logger = new Logger(service);
  // A stray rejection must be visible, but must not take down a process that
  // holds other requests in flight.
  process.on('unhandledRejection', (reason) => {
    logger.error(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`);
  });
  Logger.overrideLogger(logLevels(cfg));
  await retry(() => migrate(service, cfg.databaseUrl), logger, 'Postgres');
  await processBroker().start();
  return cfg;
}

/** Waits for a dependency at boot instead of crash-looping. */
async function retry<T>(fn: () => Promise<T>, logger: Logger, what: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 30) throw err;
      logger.warn(`${what} not ready (${(err as Error).message}); retrying`);
      await new Promise((r) => setTimeout(r, Math.min(200 * attempt, 2000)));
    }
  }
}

function transport(service: ServiceName, cfg: Config): AmqpServer {
  return new AmqpServer(processBroker(), {
    service,
    prefetch: cfg.brokerPrefetch,
    eventPrefetch: cfg.brokerEventPrefetch,
    maxAttempts: cfg.brokerMaxAttempts,
    retryDelayMs: cfg.brokerRetryDelayMs,
  });
}

/** A RabbitMQ-only service (numbers, messaging). */
export async function bootstrapMicroservice(
  service: ServiceName,
  module: unknown,
): Promise<INestMicroservice> {
  const cfg = await prepare(service);
  const app = await NestFactory.createMicroservice(module as any, {
    strategy: transport(service, cfg),
    logger: logLevels(cfg),
  });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new RpcErrorFilter());
  app.enableShutdownHooks();
  await app.listen();
  new Logger(service).log(`${service} ready`);
  return app;
}

/** An HTTP service on Fastify that may also consume RabbitMQ (gateway, webhooks). */
export async function bootstrapHttp(
  service: ServiceName,
  module: unknown,
  port: number,
  opts: { bodyLimit?: number; consumes?: boolean; beforeListen?: (app: NestFastifyApplication) => void } = {},
): Promise<INestApplication> {
  const cfg = await prepare(service);
  const logger = new Logger('Http');
  const adapter = new FastifyAdapter({
    bodyLimit: opts.bodyLimit ?? 256 * 1024,
    trustProxy: true,
    maxParamLength: 2048,
    // Router-level refusals (malformed URL, URI too long) in our error shape too.
    frameworkErrors: (err: Error, _req: unknown, reply: FastifyReply) =>
      sendError(reply, toHttpError(err, logger)),
  });
  const app = await NestFactory.create<NestFastifyApplication>(module as any, adapter, {
    logger: logLevels(cfg),
  });
  // Body-parser errors (bad JSON, too large, wrong content type) happen before
  // Nest's filters run; they get the same error shape here.
  const fastify = app.getHttpAdapter().getInstance();
  fastify.setErrorHandler((err, _req, reply) => sendError(reply, toHttpError(err, logger)));
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  app.enableShutdownHooks();
  if (opts.consumes) {
    const ms = app.connectMicroservice({ strategy: transport(service, cfg) }, { inheritAppConfig: false });
    ms.useGlobalPipes(createValidationPipe());
    ms.useGlobalFilters(new RpcErrorFilter());
    await app.startAllMicroservices();
  }
  opts.beforeListen?.(app);
  await app.listen(port, cfg.host);
  new Logger(service).log(`${service} listening on ${cfg.host}:${port}`);
  return app;
}
