import { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { Config } from '../config/config';
import { listenFailure } from '../nest/start-failure';
import { httpRequestDuration, registry } from './metrics';

export const METRICS_PATH = '/metrics';

/** What a /metrics request gets: the Prometheus text, or our error shape. */
interface Answer {
  status: number;
  contentType: string;
  body: string;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** With a token configured, only `Authorization: Bearer <token>` may read the metrics. */
function authorised(header: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const given = /^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(token));
}

/** METRICS_TOKEN; production without one says once that /metrics is open to whoever reaches the port. */
function tokenOf(service: string, cfg: Config): string | undefined {
  if (!cfg.metrics.token && cfg.nodeEnv === 'production') {
    new Logger(service).warn('METRICS_TOKEN is not set: GET /metrics answers without a token');
  }
  return cfg.metrics.token;
}

function errorAnswer(status: number, code: string, message: string): Answer {
  return {
    status,
    contentType: 'application/json; charset=utf-8',
    body: JSON.stringify({ error: { code, message } }),
  };
}

async function answer(authorization: string | undefined, token: string | undefined): Promise<Answer> {
  if (!authorised(authorization, token)) {
    return errorAnswer(401, 'unauthorized', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
  }
  return { status: 200, contentType: registry.contentType, body: await registry.metrics() };
}

/**
 * An HTTP service's metrics: every request timed by method, route pattern
 * (`/v1/sms/:id`; `unmatched` for a 404 no route took) and status, and
 * GET /metrics - a plain Fastify route, so it is outside the API-key guard
 * and the OpenAPI document.
 */
export function serveHttpMetrics(service: string, fastify: FastifyInstance, cfg: Config): void {
  const token = tokenOf(service, cfg);
  fastify.addHook('onResponse', (req, reply, done) => {
    httpRequestDuration.observe(
      { method: req.method, route: req.routeOptions?.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  fastify.get(METRICS_PATH, async (req, reply) => {
    const a = await answer(req.headers.authorization, token);
    return reply.status(a.status).header('content-type', a.contentType).send(a.body);
  });
}

/** Another answer the port gives for a path (the health probes), or undefined. */
export type ExtraRoute = (path: string) => Promise<{ status: number; body: unknown }> | undefined;

/**
 * A RabbitMQ-only service's metrics (numbers, messaging): GET /metrics on a
 * small HTTP server of its own, on `<SERVICE>_METRICS_PORT` at `HOST`, and
 * what `extra` answers (the health probes). Port 0 serves none.
 */
export async function serveMetricsPort(
  service: string,
  cfg: Config,
  extra?: ExtraRoute,
): Promise<http.Server | undefined> {
  const ports: Record<string, number> = {
    numbers: cfg.metrics.numbersPort,
    messaging: cfg.metrics.messagingPort,
  };
  const port = ports[service] ?? 0;
  if (port === 0) return undefined;
  const token = tokenOf(service, cfg);
  const host = cfg.host;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const other = req.method === 'GET' ? extra?.(path) : undefined;
    const pending = other
      ? other.then((a) => ({
          status: a.status,
          contentType: 'application/json',
          body: JSON.stringify(a.body),
        }))
      : path !== METRICS_PATH
        ? Promise.resolve(
            errorAnswer(404, 'route_not_found', 'This port serves GET /metrics and the health probes only'),
          )
        : req.method !== 'GET'
          ? Promise.resolve(errorAnswer(405, 'method_not_allowed', 'Only GET /metrics is served here'))
          : answer(req.headers.authorization, token);
    void pending
      .catch(() => errorAnswer(500, 'internal_error', 'Internal error'))
      .then((a) => res.writeHead(a.status, { 'content-type': a.contentType }).end(a.body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(listenFailure(err, host, port, `${service.toUpperCase()}_METRICS_PORT`)),
    );
    server.listen(port, host, () => resolve());
  });
  server.unref();
  new Logger(service).log(`${service} metrics on ${host}:${port}${METRICS_PATH}`);
  return server;
}
