import { CanActivate, ExecutionContext, Injectable, SetMetadata, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError, parseBearer } from '@nixflex/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeysService, Principal } from './api-keys.service';

const PUBLIC = 'nixflex:public';
/** Marks a route that needs no API key (health). */
export const Public = () => SetMetadata(PUBLIC, true);

type AuthedRequest = FastifyRequest & { principal?: Principal };

/** `Authorization: Bearer KEY_ID:KEY_SECRET` on every route not marked @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [ctx.getHandler(), ctx.getClass()])) return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const creds = parseBearer(req.headers.authorization);
    if (!creds) {
      throw new AppError(
        'unauthorized',
        'Missing or malformed Authorization header; expected "Bearer KEY_ID:KEY_SECRET"',
      );
    }
    const principal = await this.keys.authenticate(creds.keyId, creds.secret);
    if (!principal) throw new AppError('unauthorized', 'Unknown or revoked API key');
    req.principal = principal;
    return true;
  }
}

/** The authenticated account and key of the request. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthedRequest>().principal;
  if (!principal) throw new AppError('unauthorized', 'Not authenticated');
  return principal;
});
