import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminApi, AdminError } from './admin';
import { CallbackEngine } from './callbacks';
import { CallEngine } from './calls';
import { BodyTooLargeError, parseForm, parseJsonBody, readBody, sendJson } from './http-util';
import { newSid } from './ids';
import { RestApi } from './rest';
import { SandboxState } from './state';
import { WebhookTransport } from './webhook-transport';

/**
 * Fake Twilio REST API (2010-04-01) plus a JSON admin API under /__admin.
 * In-memory only. See README.md for the contract.
 */

export interface SandboxOptions {
  port?: number;
  host?: string;
  /** Milliseconds between status steps; default env SANDBOX_CALLBACK_DELAY_MS or 5. */
  callbackDelayMs?: number;
  /** Messages kept in memory (oldest evicted first); default env SANDBOX_MAX_MESSAGES or 500000. */
  maxMessages?: number;
}

export interface SandboxHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

const SECRET_PARAM = /token|secret|password/i;

function redact(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) out[k] = SECRET_PARAM.test(k) ? '[redacted]' : v;
  return out;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  const callbackDelayMs = opts.callbackDelayMs ?? envNumber('SANDBOX_CALLBACK_DELAY_MS', 5);
  const state = new SandboxState(opts.maxMessages ?? envNumber('SANDBOX_MAX_MESSAGES', 500_000));
  const transport = new WebhookTransport();
  const callbacks = new CallbackEngine(state, transport, callbackDelayMs);
  const calls = new CallEngine(state, transport, callbackDelayMs);
  const rest = new RestApi(state, callbacks, calls);
  const admin = new AdminApi(state, callbacks, transport, calls);

  async function handleAdmin(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    try {
      const text = await readBody(req);
      let body: Record<string, unknown>;
      try {
        body = parseJsonBody(text);
      } catch {
        throw new AdminError(400, 'body must be a JSON object');
      }
      const result = await admin.handle(req.method ?? 'GET', url.pathname, url.searchParams, body);
      sendJson(res, result.status, result.body);
    } catch (err) {
      if (err instanceof AdminError) sendJson(res, err.status, { error: err.message });
      else throw err;
    }
  }

  async function handleRest(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const text = await readBody(req);
    const form = parseForm(text);
    const formAll = new URLSearchParams(text);
    const query = parseForm(url.search.slice(1));
    const fullPath = url.pathname + url.search;
    const { accountSid, result } = rest.handle({
      method,
      pathname: url.pathname,
      fullPath,
      query,
      form,
      formAll,
      headers: req.headers,
    });
    state.logRequest({
      at: new Date().toISOString(),
      method,
      path: fullPath,
      params: redact(form),
      status: result.kind === 'drop' ? 0 : result.status,
      account_sid: accountSid,
    });
    if (result.kind === 'drop') {
      // The message is stored; the client never hears back.
      req.socket.destroy();
      return;
    }
    const headers = { 'twilio-request-id': newSid('RQ') };
    if (result.kind === 'empty') {
      res.writeHead(result.status, headers);
      res.end();
      return;
    }
    sendJson(res, result.status, result.body, { ...headers, ...result.headers });
  }

  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sandbox.local');
    } catch {
      sendJson(res, 400, { error: 'bad request URL' });
      return;
    }
    const handler =
      url.pathname === '/__admin' || url.pathname.startsWith('/__admin/') ? handleAdmin : handleRest;
    handler(req, res, url).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (err instanceof BodyTooLargeError) {
        sendJson(res, 413, { code: 20001, message: err.message, more_info: '', status: 413 });
        return;
      }
      console.error('[twilio-sandbox] handler error', err);
      sendJson(res, 500, {
        code: 20500,
        message: 'Internal Server Error',
        more_info: 'https://www.twilio.com/docs/errors/20500',
        status: 500,
      });
    });
  });
  // Outlive typical client keep-alive idle timeouts so clients never reuse a socket we are closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const displayHost = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${displayHost}:${address.port}`,
    port: address.port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        calls.abortAll();
        state.generation++; // stop in-flight callback loops
        server.close(() => resolve());
        server.closeAllConnections();
        transport.close();
      });
      return closed;
    },
  };
}
