import { STATUS_CODES } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ERROR_SCHEMAS } from './errors';

/** Name of the security scheme every `/v1` operation requires. */
export const API_KEY_SCHEME = 'api_key';
/** Where the gateway serves the document and Swagger UI (both without an API key). */
export const OPENAPI_JSON_PATH = '/openapi.json';
export const SWAGGER_UI_PATH = '/docs';

const DESCRIPTION = [
  'The public API of the Nixflex engine: agents, phone numbers imported from your own Twilio account, ',
  'SMS, opt-outs, and the log of the signed webhooks sent to you.\n\n',
  'Every error is `{"error":{"code":"...","message":"..."}}` (plus `details` for field errors); ',
  'match on `code`, each operation lists the codes it can return under its HTTP status. ',
  'List endpoints page with an opaque `cursor` (`next_cursor` of the previous page) and `limit`.',
].join('');

/**
 * The OpenAPI 3 document of the gateway, from its controllers and the DTO
 * classes in libs/common/src/contracts. Deterministic: the same code always
 * gives the same document (no host, no build time), so the committed copy
 * (docs/openapi.json) can be compared with it.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Nixflex engine API')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'KEY_ID:KEY_SECRET',
        description:
          '`Authorization: Bearer KEY_ID:KEY_SECRET`, as printed by `npm run cli -- accounts:create` ' +
          'or `keys:create`. Missing, malformed, unknown or revoked: `401 unauthorized`.',
      },
      API_KEY_SCHEME,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) =>
      `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  // Success answers without their own description get the status text.
  for (const item of Object.values(document.paths)) {
    for (const op of Object.values(item) as { responses?: Record<string, { description?: string }> }[]) {
      for (const [status, res] of Object.entries(op.responses ?? {})) {
        if (!res.description) res.description = STATUS_CODES[Number(status)] ?? status;
      }
    }
  }
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...ERROR_SCHEMAS },
  };
  return document;
}

/**
 * `GET /openapi.json` and Swagger UI at `GET /docs`. SwaggerModule registers
 * these on Fastify directly, outside Nest's router, so the API-key guard never
 * sees them; call before the app listens.
 */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup(SWAGGER_UI_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    raw: ['json'],
    ui: true,
    customSiteTitle: 'Nixflex engine API',
  });
  return document;
}

/** The committed form: two-space JSON and a final newline. */
export function serializeDocument(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
