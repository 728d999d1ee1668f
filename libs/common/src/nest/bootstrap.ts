import { INestApplication, INestMicroservice, LogLevel, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NestMicroservice } from '@nestjs/microservices';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AmqpServer } from '../broker/amqp-server';
import { ServiceName } from '../broker/topology';
import { Config } from '../config';
import { createdDatabaseLine, ensureDatabase } from '../db/create-database';
import { migrate } from '../db/data-source';
import { createValidationPipe } from '../errors';
import { initMetrics, serveHttpMetrics, serveMetricsPort } from '../metrics';
import { HttpErrorFilter, sendError, toHttpError } from './http-exception.filter';
import { HealthService } from './core.module';
import { armDrain, processDrain } from './drain';
import { processBroker } from './process-broker';
import { RpcErrorFilter } from './rpc-exception.filter';
import {
  StartFailure,
  configOrStartFailure,
  exitWithStartFailure,
  listenFailure,
  probeBroker,
} from './start-failure';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

function logLevels(cfg: Config): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(cfg.logLevel) + 1);
}

/** How long a starting service waits for Postgres and RabbitMQ before giving up. */
const BOOT_WAIT_MS = 30_000;

async function prepare(service: ServiceName): Promise<Config> {
  const cfg = configOrStartFailure(service);
  const logger = new Logger(service);
  initMetrics(service);
  // A stray rejection must be visible, but must not take down a process that
  // holds other requests in flight.
  process.on('unhandledRejection', (reason) => {
    logger.error(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`);
  });
  Logger.overrideLogger(logLevels(cfg));
  try {
    await waitFor(logger, async () => {
      const { name, created } = await ensureDatabase(cfg.databaseUrl);
      if (created) logger.log(createdDatabaseLine(name));
      await migrate(service, cfg.databaseUrl);
    });
    await waitFor(logger, () => probeBroker(cfg.rabbitmqUrl));
    await processBroker().start();
  } catch (err) {
    fail(service, cfg, err);
  }
  return cfg;
}

/**
 * Waits up to BOOT_WAIT_MS for a dependency that is still starting (one line
 * says so), instead of crash-looping; a mistake (bad password, failed
 * migration) fails at once.
 */
async function waitFor<T>(logger: Logger, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + BOOT_WAIT_MS;
  let told = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof StartFailure) || !err.transient || Date.now() > deadline) throw err;
      if (!told) {
        logger.warn(`${err.message.split('. ')[0]}; waiting up to ${BOOT_WAIT_MS / 1000} s`);
        told = true;
      }
      await new Promise((r) => setTimeout(r, Math.min(200 * attempt, 2000)));
    }
  }
}

/** One line on stderr, a non-zero exit, no stack trace (unless LOG_LEVEL=debug). */
function fail(service: ServiceName, cfg: Config, err: unknown): never {
  exitWithStartFailure(`${service} cannot start`, err, cfg.logLevel === 'debug');
}

function transport(service: ServiceName, cfg: Config): AmqpServer {
  const server = new AmqpServer(processBroker(), {
    service,
    prefetch: cfg.brokerPrefetch,
    eventPrefetch: cfg.brokerEventPrefetch,
    maxAttempts: cfg.brokerMaxAttempts,
    retryDelayMs: cfg.brokerRetryDelayMs,
  });
  processDrain().onDrain((deadline) => server.drain(deadline));
  return server;
}

/** A RabbitMQ-only service (numbers, messaging). */
export async function bootstrapMicroservice(
  service: ServiceName,
  module: unknown,
): Promise<INestMicroservice> {
  const cfg = await prepare(service);
  try {
    const app = await NestFactory.createMicroservice(module as any, {
      strategy: transport(service, cfg),
      logger: logLevels(cfg),
    });
    app.useGlobalPipes(createValidationPipe());
    app.useGlobalFilters(new RpcErrorFilter());
    armDrain(service);
    app.enableShutdownHooks();
    const health = app.get(HealthService);
    await serveMetricsPort(service, cfg, (path) =>
      PROBE_PATHS.includes(path) ? probeAnswer(path, health, service) : undefined,
    );
    await app.listen();
    new Logger(service).log(`${service} ready`);
    return app;
  } catch (err) {
    fail(service, cfg, err);
  }
}

interface HttpOptions {
  bodyLimit?: number;
  consumes?: boolean;
  /** Runs after the app is built, before it listens (the gateway registers its OpenAPI routes here). */
  beforeListen?: (app: NestFastifyApplication) => void;
}

/** An HTTP service on Fastify that may also consume RabbitMQ (gateway, webhooks). */
export async function bootstrapHttp(
  service: ServiceName,
  module: unknown,
  port: number,
  opts: HttpOptions = {},
): Promise<INestApplication> {
  const cfg = await prepare(service);
  try {
    return await startHttp(service, module, port, opts, cfg);
  } catch (err) {
    fail(service, cfg, err);
  }
}

async function startHttp(
  service: ServiceName,
  module: unknown,
  port: number,
  opts: HttpOptions,
  cfg: Config,
): Promise<INestApplication> {
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
  serveHttpMetrics(service, fastify, cfg);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  armDrain(service);
  app.enableShutdownHooks();
  probes(fastify, app.get(HealthService), service);
  if (opts.consumes) {
    // Deferred: Nest builds each handler's pipes and filters when it registers
    // the listeners, which connectMicroservice otherwise does at once, before
    // these globals exist (handlers then ran unvalidated, and an AppError
    // reached the caller as a generic internal error).
    const ms = app.connectMicroservice(
      { strategy: transport(service, cfg) },
      { inheritAppConfig: false, deferInitialization: true },
    ) as NestMicroservice;
    ms.useGlobalPipes(createValidationPipe());
    ms.useGlobalFilters(new RpcErrorFilter());
    // The lifecycle hooks run once, with the HTTP app's init (as without deferral).
    ms.setIsInitHookCalled(true);
    await app.startAllMicroservices();
  }
  opts.beforeListen?.(app);
  try {
    await app.listen(port, cfg.host);
  } catch (err) {
    throw listenFailure(err, cfg.host, port, `${service.toUpperCase()}_PORT`);
  }
  new Logger(service).log(`${service} listening on ${cfg.host}:${port}`);
  return app;
}

/**
 * Kubernetes-style probes, outside the API (no key, not in the OpenAPI
 * document): `/health/live` is 200 while the process runs; `/health/ready`
 * is 503 from the moment a drain starts, and otherwise 200 only when this
 * process's own database and broker are up. HTTP services answer them on
 * their port, numbers and messaging on their metrics port.
 */
export const PROBE_PATHS = ['/health/live', '/health/ready'];

export async function probeAnswer(
  path: string,
  health: HealthService,
  service: ServiceName,
): Promise<{ status: number; body: Record<string, string> }> {
  if (path === '/health/live') return { status: 200, body: { status: 'live' } };
  if (processDrain().draining) return { status: 503, body: { status: 'draining' } };
  const h = await health.check(service);
  const ready = h.database === 'up' && h.broker === 'up';
  return {
    status: ready ? 200 : 503,
    body: { status: ready ? 'ready' : 'not_ready', database: h.database, broker: h.broker },
  };
}

function probes(fastify: FastifyInstance, health: HealthService, service: ServiceName): void {
  for (const path of PROBE_PATHS) {
    fastify.get(path, async (_req, reply) => {
      const a = await probeAnswer(path, health, service);
      return reply.status(a.status).send(a.body);
    });
  }
}
