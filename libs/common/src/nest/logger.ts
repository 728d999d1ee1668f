import type { LoggerService } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import pino, { DestinationStream, Logger as Pino } from 'pino';
import pretty from 'pino-pretty';
import { Config } from '../config';
import { REQUEST_ID_HEADER, currentRequestId, runWithRequestId } from '../context';

/** Nest's level names as pino's (Nest's `log` is pino's `info`). */
const PINO_LEVEL: Record<Config['logLevel'], pino.Level> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
};

const CENSOR = '[redacted]';
/** Credentials, wherever they sit in a logged object (up to two levels down). */
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'token',
  'auth_token',
  'twilio_auth_token',
  'twilio_token',
  'api_key',
  'apiKey',
  'calcom_api_key',
  'secret',
  'webhook_secret',
  'signing_secret',
  'password',
  'credentials',
];
/** Message bodies and prompts (personal data): logged objects never show them. */
const BODY_KEYS = ['body', 'Body', 'text', 'prompt', 'content', 'messages', 'transcript'];
/** Headers whose names need quoting in a redact path. */
const SECRET_HEADERS = ['x-api-key', 'x-twilio-signature', 'webhook-signature'];

/**
 * pino redact paths. `message` only at the top and under `payload`/`data`,
 * so an error's own message (`err.message`) stays readable.
 */
export const REDACT_PATHS: string[] = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
  ...BODY_KEYS.flatMap((k) => [k, `*.${k}`]),
  'message',
  'payload.message',
  'data.message',
  ...SECRET_HEADERS.flatMap((h) => [`headers["${h}"]`, `req.headers["${h}"]`]),
];

let root: Pino | undefined;
let nestLogger: NestPinoLogger | undefined;

/**
 * The process's pino logger: one JSON object a line on stdout (or pino-pretty
 * text with LOG_FORMAT=pretty), each with `service`, `level`, `time`, `msg`,
 * the Nest `context` and the current `request_id`, secrets and bodies redacted.
 */
export function createPino(
  service: string,
  cfg: Pick<Config, 'logLevel' | 'logFormat'>,
  dest?: DestinationStream,
): Pino {
  const stream =
    dest ??
    (cfg.logFormat === 'pretty'
      ? pretty({
          sync: true,
          singleLine: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,service,context',
          messageFormat: '{service} {if context}[{context}] {end}{msg}',
        })
      : pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level: PINO_LEVEL[cfg.logLevel],
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // The request id of the work in progress, unless the line names one itself.
      mixin: (fields: object) => {
        const id = (fields as { request_id?: string }).request_id ? undefined : currentRequestId();
        return id ? { request_id: id } : {};
      },
      redact: { paths: REDACT_PATHS, censor: CENSOR },
    },
    stream,
  );
}

/**
 * Makes nestjs-pino the logger of this process: every `new Logger(context)`
 * of `@nestjs/common` writes through it (Nest's logger bridge), before and
 * after the app exists. Returns what to pass as the app's `logger`.
 */
export function useServiceLogger(
  service: string,
  cfg: Pick<Config, 'logLevel' | 'logFormat'>,
): LoggerService {
  root = createPino(service, cfg);
  // nestjs-pino builds its root logger through pino-http; `logger` hands it ours.
  const params = { pinoHttp: { logger: root, autoLogging: false } };
  nestLogger = new NestPinoLogger(new PinoLogger(params), params);
  return nestLogger;
}

/** The logger `useServiceLogger` installed. */
export function serviceLogger(): LoggerService {
  if (!nestLogger) throw new Error('useServiceLogger was not called');
  return nestLogger;
}

interface RequestWithRoute {
  id: string;
  method: string;
  routeOptions?: { url?: string };
}

/**
 * HTTP services: the request id (Fastify's request id, from `X-Request-Id` or
 * new; see `genReqId` in bootstrap) comes back in the `X-Request-Id` header of
 * every response, errors included; handlers run inside its context; and one
 * line per request says method, route pattern (never the URL with its ids),
 * status and duration.
 */
export function installRequestLogging(fastify: FastifyInstance): void {
  const log = root!.child({ context: 'Http' });
  fastify.addHook('onRequest', (req, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, req.id);
    done();
  });
  // After body parsing (which loses the async context), so the handler runs inside it.
  fastify.addHook('preHandler', (req, _reply, done) => runWithRequestId(req.id, done));
  fastify.addHook('onSend', (req, reply, payload, done) => {
    if (!reply.hasHeader(REQUEST_ID_HEADER)) void reply.header(REQUEST_ID_HEADER, req.id);
    done(null, payload);
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    const r = req as unknown as RequestWithRoute;
    const route = r.routeOptions?.url ?? '(no route)';
    const status = reply.statusCode;
    const line = {
      request_id: r.id,
      method: r.method,
      route,
      status,
      duration_ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    const msg = `${r.method} ${route} ${status}`;
    if (status >= 500) log.error(line, msg);
    else log.info(line, msg);
    done();
  });
}
