import multipart from '@fastify/multipart';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** A JSON campaign of 10,000 recipients with variables fits; every other route keeps the global limit. */
const CAMPAIGN_JSON_BODY_LIMIT = 8 * 1024 * 1024;
/** 100,000 CSV rows of a phone number and a few variables. */
const CAMPAIGN_CSV_LIMIT = 64 * 1024 * 1024;

/**
 * Campaign uploads: multipart/form-data (one CSV file, streamed) and a larger
 * JSON body for `POST /v1/campaigns` only. Runs before the routes are
 * registered, so the route option is set as Nest registers the route.
 */
export function setupUploads(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (route.url === '/v1/campaigns' && methods.includes('POST')) route.bodyLimit = CAMPAIGN_JSON_BODY_LIMIT;
  });
  void app.register(multipart, {
    limits: { files: 1, fileSize: CAMPAIGN_CSV_LIMIT, fields: 20, fieldSize: 64 * 1024, parts: 21 },
  });
}
