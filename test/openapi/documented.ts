/**
 * Checks HTTP answers against the OpenAPI document the gateway serves: the
 * schema of the response documented for that path, method and status.
 * OpenAPI 3.0 schemas become JSON Schema first (`nullable` as a null branch),
 * and every documented object is closed (`additionalProperties: false`) so a
 * field the document does not describe fails too.
 */
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import * as path from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ROOT } from '../harness/infra';

/** The compiled gateway's OpenAPI helpers (the code the spawned gateway runs). */
export function gatewayOpenApi(): {
  document: typeof import('../../apps/gateway/src/openapi/document');
  generate: typeof import('../../apps/gateway/src/openapi/generate');
  AppModule: unknown;
} {
  const dir = path.join(ROOT, 'dist/apps/gateway/src');
  /* eslint-disable @typescript-eslint/no-require-imports */
  return {
    document: require(path.join(dir, 'openapi/document.js')),
    generate: require(path.join(dir, 'openapi/generate.js')),
    AppModule: require(path.join(dir, 'app.module.js')).AppModule,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** `/v1/sms/:id` (router) to `/v1/sms/{id}` (OpenAPI). */
export function toOpenApiPath(routerPath: string): string {
  return routerPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = toJsonSchema(v);
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  // OpenAPI 3.0's boolean exclusiveMinimum is JSON Schema's numeric one.
  if (out.exclusiveMinimum === true && typeof out.minimum === 'number') {
    out.exclusiveMinimum = out.minimum;
    delete out.minimum;
  } else if (typeof out.exclusiveMinimum === 'boolean') delete out.exclusiveMinimum;
  if (out.nullable === true) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

function problems(fn: ValidateFunction): string[] {
  return (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

export class Documented {
  private readonly ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  private readonly components: unknown;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenAPIObject) {
    this.components = toJsonSchema(document.components);
  }

  private validator(schema: unknown, key: string): ValidateFunction {
    let fn = this.cache.get(key);
    if (!fn) {
      fn = this.ajv.compile({ ...(toJsonSchema(schema) as object), components: this.components });
      this.cache.set(key, fn);
    }
    return fn;
  }

  private operation(method: string, template: string): any {
    const op = (this.document.paths[template] as any)?.[method.toLowerCase()];
    if (!op) throw new Error(`${method} ${template} is not in the document`);
    return op;
  }

  /** Problems of `body` as the answer `status` of `method template`; [] when it matches. */
  responseProblems(method: string, template: string, status: number, body: unknown): string[] {
    const res = this.operation(method, template).responses?.[String(status)];
    if (!res) return [`${method} ${template} documents no ${status} answer`];
    const schema = res.content?.['application/json']?.schema;
    if (!schema) return [`${method} ${template} ${status} has no JSON schema`];
    const fn = this.validator(schema, `${method} ${template} ${status}`);
    return fn(body) ? [] : problems(fn);
  }

  /** Problems of `body` as the request body of `method template`. */
  requestProblems(method: string, template: string, body: unknown): string[] {
    const schema = this.operation(method, template).requestBody?.content?.['application/json']?.schema;
    if (!schema) return [`${method} ${template} documents no JSON body`];
    const fn = this.validator(schema, `${method} ${template} body`);
    return fn(body) ? [] : problems(fn);
  }
}
