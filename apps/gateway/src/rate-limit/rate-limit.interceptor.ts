import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { AppError } from '@nixflex/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import type { Principal } from '../auth/api-keys.service';
import { RateLimiter } from './rate-limiter';
import { rateLimitHeader, rateLimitPolicyHeader, refusal } from './rate-limit-headers';

/**
 * Counts every authenticated request (every /v1 route) against its API key's
 * and its account's quotas. Interceptors run after the guards, so the
 * principal is known; routes without one (/health, the API documents) are not
 * limited. Every limited response, success or error, carries `RateLimit-Policy`
 * and `RateLimit`; over either quota the answer is `429 rate_limited` with
 * `Retry-After`, before the request body is validated or anything is done.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  constructor(private readonly limiter: RateLimiter) {}

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (ctx.getType() !== 'http') return next.handle();
    const http = ctx.switchToHttp();
    const principal = http.getRequest<FastifyRequest & { principal?: Principal }>().principal;
    if (!principal) return next.handle();
    const counts = await this.limiter.count(principal);
    const reply = http.getResponse<FastifyReply>();
    void reply.header('RateLimit-Policy', rateLimitPolicyHeader(counts));
    void reply.header('RateLimit', rateLimitHeader(counts));
    const refused = refusal(counts);
    if (refused) {
      void reply.header('Retry-After', String(refused.retryAfterS));
      throw new AppError('rate_limited', refused.message);
    }
    return next.handle();
  }
}
