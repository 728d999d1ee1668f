/** A tiny HTTP client for tests: real HTTP to the gateway, JSON in and out. */
import { waitFor } from './stack';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function http<T = any>(
  method: string,
  url: string,
  opts: { body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  let payload: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    payload = JSON.stringify(opts.body);
  }
  const res = await fetch(url, { method, headers, body: payload });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

/** Calls the gateway as one API key. */
export class Api {
  constructor(
    readonly baseUrl: string,
    readonly apiKey?: string,
  ) {}

  request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    return http<T>(method, `${this.baseUrl}${path}`, {
      body,
      headers: { ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}), ...headers },
    });
  }
  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  patch<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PATCH', path, body, headers);
  }
  delete<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('DELETE', path, undefined, headers);
  }
}

/**
 * Polls `GET path` until `done` holds for the body; on timeout the error shows
 * the last body seen.
 */
export async function waitForResource(
  api: Api,
  path: string,
  what: string,
  done: (body: any) => boolean,
  timeoutMs = 20_000,
): Promise<any> {
  let last: any;
  try {
    return await waitFor(
      what,
      async () => {
        const res = await api.get(path);
        last = res.body;
        return res.status === 200 && done(res.body) ? res.body : undefined;
      },
      timeoutMs,
      100,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`);
  }
}
