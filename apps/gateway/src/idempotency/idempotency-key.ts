import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { AppError } from '@nixflex/common';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The OpenAPI description of the `Idempotency-Key` header of a creating route (`POST /v1/sms`, `/v1/calls`). */
export function ApiIdempotencyKey(): MethodDecorator {
  return ApiHeader({
    name: 'idempotency-key',
    required: false,
    description:
      'Makes retries safe: the same key with the same body answers as the first time (`idempotency_key_reused` ' +
      'for another body, `idempotency_key_in_use` while the first is still being handled)',
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
  });
}

/**
 * The request's `Idempotency-Key` (undefined without one), as the command's
 * `idempotency_key`; a malformed key is 400 validation_failed.
 */
export const IdempotencyKey = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string | undefined => {
    const header = ctx.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers[
      'idempotency-key'
    ];
    if (header === undefined) return undefined;
    if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
      throw new AppError('validation_failed', 'Idempotency-Key must be 1 to 255 printable ASCII characters', [
        { field: 'Idempotency-Key', messages: ['must be 1 to 255 printable ASCII characters'] },
      ]);
    }
    return header;
  },
);
