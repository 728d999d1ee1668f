import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiResponse, SchemaObject, getSchemaPath } from '@nestjs/swagger';
import { ErrorCode, statusForCode } from '@nixflex/common';

/** One entry of `details` on `validation_failed`. */
export class FieldError {
  @ApiProperty({ example: 'agent_id', description: 'The field, dotted for nested ones (`calendar.api_key`)' })
  field: string;

  @ApiProperty({ type: [String] })
  messages: string[];
}

export interface RouteErrors {
  /** The route needs no API key (no `unauthorized`). */
  public?: boolean;
  /** The route reads a JSON body: bad JSON, an unknown or invalid field, too large, not JSON. */
  body?: boolean;
}

/** Schemas the error responses refer to; added to the document's components. */
export const ERROR_SCHEMAS = {
  ErrorDetails: {
    description:
      'Field errors for `validation_failed`; the facts behind some other codes ' +
      '(e.g. `custom_prompt_too_long`: `max`, `length`)',
    oneOf: [
      { type: 'array', items: { $ref: getSchemaPath(FieldError) } },
      { type: 'object', additionalProperties: true },
    ],
  },
} satisfies Record<string, SchemaObject>;

/** The headers of a 429 (the RateLimit pair is on every answer of a route with an API key). */
const RATE_LIMITED_HEADERS = {
  'Retry-After': { description: 'Seconds until the limit that refused frees', schema: { type: 'integer' } },
  'RateLimit-Policy': {
    description: 'Each limit\'s quota and window, e.g. `"key";q=500;w=10, "account";q=1000;w=10`',
    schema: { type: 'string' },
  },
  RateLimit: {
    description:
      'What is left of each quota and the seconds to its reset, e.g. `"key";r=0;t=4, "account";r=12;t=4`',
    schema: { type: 'string' },
  },
};

/** `{"error":{"code","message","details"?}}` with `code` one of `codes`. */
export function errorEnvelopeSchema(codes: readonly ErrorCode[]): SchemaObject {
  return {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', enum: [...codes] },
          message: { type: 'string' },
          details: { $ref: getSchemaPath('ErrorDetails') },
        },
      },
    },
  };
}

/**
 * Documents the error answers of a route: `codes` are its own, the ones every
 * route of its kind can give are added (API key, body parsing, a service that
 * is down or slow, a bug). Codes are grouped by the HTTP status the one table
 * in error-codes.ts gives them, one response per status.
 */
export function ApiErrors(codes: readonly ErrorCode[], opts: RouteErrors = {}): MethodDecorator {
  const all = new Set<ErrorCode>(codes);
  if (!opts.public) {
    all.add('unauthorized');
    // Every route with an API key is rate limited (apps/gateway/src/rate-limit).
    all.add('rate_limited');
  }
  if (opts.body) {
    all.add('validation_failed');
    all.add('payload_too_large');
    all.add('unsupported_media_type');
  }
  all.add('internal_error');
  all.add('service_unavailable');
  all.add('upstream_timeout');

  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of all) {
    const status = statusForCode(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses = [...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, group]) => {
      const sorted = group.sort();
      return ApiResponse({
        status,
        description: sorted.map((c) => `\`${c}\``).join(', '),
        schema: errorEnvelopeSchema(sorted),
        ...(status === 429 ? { headers: RATE_LIMITED_HEADERS } : {}),
      });
    });
  return applyDecorators(ApiExtraModels(FieldError), ...responses);
}
