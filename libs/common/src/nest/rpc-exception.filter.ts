import { ArgumentsHost, Catch, Logger, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';
import { toSerializedError } from '../broker/amqp-server';

/**
 * Carries every error out of a message handler as `{code, message, status}`
 * so the transport can send it to the caller (commands) or decide on a retry
 * (events), instead of Nest's generic "Internal server error".
 */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger('RpcErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    const key = String(host.switchToRpc().getContext<{ routingKey?: string }>()?.routingKey ?? 'message');
    const error = toSerializedError(exception, this.logger, key);
    return throwError(() => error);
  }
}
