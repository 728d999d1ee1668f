/**
 * `npm run openapi`: writes docs/openapi.json from the gateway's code.
 * `npm run openapi -- --check` only compares and exits 1 when the file is stale.
 *
 * The app is created in Nest's preview mode: modules and controllers are
 * scanned, nothing is instantiated, so neither Postgres nor RabbitMQ is needed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule } from '../app.module';
import { buildOpenApiDocument, serializeDocument } from './document';

export const OPENAPI_FILE = 'docs/openapi.json';

/** The document as generated now, in its committed form. */
export async function generateOpenApi(): Promise<string> {
  const app = await NestFactory.create(AppModule, new FastifyAdapter(), { preview: true, logger: false });
  try {
    return serializeDocument(buildOpenApiDocument(app));
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const file = path.resolve(process.cwd(), OPENAPI_FILE);
  const fresh = await generateOpenApi();
  if (process.argv.includes('--check')) {
    const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (committed !== fresh) {
      process.stderr.write(`${OPENAPI_FILE} is stale: run npm run openapi and commit it\n`);
      process.exit(1);
    }
    process.stdout.write(`${OPENAPI_FILE} is up to date\n`);
    return;
  }
  fs.writeFileSync(file, fresh);
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
