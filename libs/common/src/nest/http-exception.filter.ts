import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppError, ErrorCode, SerializedAppError, isTransientInfrastructureError } from '../errors';

const BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'route_not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
  504: 'upstream_timeout',
};

/** Maps anything thrown on the HTTP edge to `{"error":{"code","message"[,"details"]}}`. */
export function toHttpError(exception: unknown, logger: Logger): SerializedAppError {
  if (exception instanceof AppError) return exception.toJSON();
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'validation_failed');
    return { code, status, message: httpMessage(exception) };
  }
  const fastifyError = exception as { statusCode?: number; code?: string; message?: string };
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode < 500) {
    const status = fastifyError.statusCode;
    const code = BY_STATUS[status] ?? 'validation_failed';
    const message =
      fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/.test(fastifyError.message ?? '')
        ? 'Request body is not valid JSON'
        : (fastifyError.message ?? 'Bad request');
    return { code, status, message };
  }
  if (isTransientInfrastructureError(exception)) {
    logger.warn(`dependency unavailable: ${(exception as Error).message}`);
    return {
      code: 'service_unavailable',
      status: 503,
      message: 'A dependency is unavailable; try again shortly',
    };
  }
  logger.error((exception as Error)?.stack ?? String(exception));
  return { code: 'internal_error', status: 500, message: 'Internal error' };
}

function httpMessage(e: HttpException): string {
  const res = e.getResponse();
  if (typeof res === 'string') return res;
  const m = (res as { message?: unknown }).message;
  return Array.isArray(m) ? m.join('; ') : typeof m === 'string' ? m : e.message;
}

export function sendError(reply: FastifyReply, error: SerializedAppError): void {
  void reply
    .status(error.status)
    .header('content-type', 'application/json; charset=utf-8')
    .send({
      error: {
        code: error.code,
        message: error.message,
        ...(error.details ? { details: error.details } : {}),
      },
    });
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    sendError(host.switchToHttp().getResponse<FastifyReply>(), toHttpError(exception, this.logger));
  }
}
