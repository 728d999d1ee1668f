import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BehaviourError, applyBehaviour, defaultBehaviour, takeScripted, type Behaviour } from './behaviour';
import {
  StreamFrames,
  chatCompletion,
  defaultReply,
  lastMessageText,
  openAiError,
  splitTokens,
  toolCallsOf,
} from './completion';

/**
 * Fake OpenAI-compatible chat-completions server. Deterministic, instant by
 * default, records every request. See README.md.
 */

export interface LlmStubOptions {
  port?: number;
  host?: string;
}

export interface LlmStubHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface RecordedRequest {
  at: string;
  method: string;
  path: string;
  /** Whether an Authorization header was sent (the key itself is never stored). */
  authorization: boolean;
  body: unknown;
}

const MAX_RECORDED = 20_000;
const MAX_BODY = 4 * 1024 * 1024;
const DEFAULT_MODEL = 'gpt-4o-mini';

function sendJson(
  res: http.ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
) {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startLlmStub(opts: LlmStubOptions = {}): Promise<LlmStubHandle> {
  let behaviour: Behaviour = defaultBehaviour();
  let recorded: RecordedRequest[] = [];
  const hanging = new Set<http.ServerResponse>();
  /** Streams whose response is still open (GET /__admin/stats shows it; leaks would show here). */
  let activeStreams = 0;
  /** Stream timers scheduled and not yet fired or cleared. */
  let pendingTimers = 0;

  const releaseHanging = () => {
    for (const res of hanging) res.socket?.destroy();
    hanging.clear();
  };

  async function completions(req: http.IncomingMessage, res: http.ServerResponse, path: string) {
    const text = await readBody(req);
    let body: Record<string, unknown>;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      sendJson(res, 400, {
        error: { message: 'invalid JSON body', type: 'invalid_request_error', param: null, code: null },
      });
      return;
    }
    recorded.push({
      at: new Date().toISOString(),
      method: 'POST',
      path,
      authorization: typeof req.headers.authorization === 'string' && req.headers.authorization.length > 0,
      body,
    });
    if (recorded.length > MAX_RECORDED) recorded = recorded.slice(-MAX_RECORDED);

    if (behaviour.hang) {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (behaviour.delay_ms > 0) await new Promise((r) => setTimeout(r, behaviour.delay_ms));
    if (behaviour.fail && behaviour.fail.count > 0) {
      const status = behaviour.fail.status;
      behaviour.fail.count--;
      if (behaviour.fail.count <= 0) behaviour = { ...behaviour, fail: null };
      sendJson(res, status, openAiError(status), status === 429 ? { 'retry-after': '0' } : {});
      return;
    }
    if (!Array.isArray(body.messages)) {
      sendJson(res, 400, {
        error: {
          message: "'messages' is required",
          type: 'invalid_request_error',
          param: 'messages',
          code: null,
        },
      });
      return;
    }
    const model = typeof body.model === 'string' ? body.model : DEFAULT_MODEL;
    const toolsAllowed = Array.isArray(body.tools) && body.tools.length > 0 && body.tool_choice !== 'none';
    const scripted = takeScripted(behaviour, lastMessageText(body.messages), toolsAllowed);
    const content = scripted ? (scripted.reply ?? '') : (behaviour.reply ?? defaultReply(body.messages));
    const toolCalls = toolCallsOf(scripted?.tool_calls ?? []);
    if (body.stream === true) {
      const options = body.stream_options as { include_usage?: unknown } | undefined;
      const frames = new StreamFrames(model, body.messages, content, toolCalls);
      stream(res, frames, content, options?.include_usage === true);
      return;
    }
    sendJson(res, 200, chatCompletion(model, body.messages, content, toolCalls));
  }

  /**
   * Streams the reply token by token on timers: first_token_delay_ms, then
   * token_delay_ms apart; stall_after_tokens stops sending (the connection
   * stays open until the client leaves, the behaviour changes or a reset).
   * A client that disconnects stops the timers at once.
   */
  function stream(res: http.ServerResponse, frames: StreamFrames, content: string, includeUsage: boolean) {
    const b = behaviour;
    const tokens = splitTokens(content);
    let next = 0;
    let timer: NodeJS.Timeout | undefined;
    let gone = false;
    activeStreams++;
    res.on('close', () => {
      gone = true;
      activeStreams--;
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
        pendingTimers--;
      }
      hanging.delete(res);
    });
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(frames.role());
    const step = () => {
      timer = undefined;
      pendingTimers--;
      if (gone) return;
      do {
        if (b.stall_after_tokens !== null && next >= b.stall_after_tokens) {
          hanging.add(res);
          return;
        }
        if (next >= tokens.length) {
          res.end(frames.finish(includeUsage));
          return;
        }
        res.write(frames.token(tokens[next++]));
      } while (b.token_delay_ms === 0);
      schedule(b.token_delay_ms);
    };
    const schedule = (ms: number) => {
      pendingTimers++;
      timer = setTimeout(step, ms);
    };
    if (b.first_token_delay_ms > 0) schedule(b.first_token_delay_ms);
    else {
      pendingTimers++; // step() counts itself down
      step();
    }
  }

  async function admin(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const route = `${req.method} ${url.pathname}`;
    const text = await readBody(req);
    switch (route) {
      case 'GET /__admin/health':
        return sendJson(res, 200, { ok: true });
      case 'GET /__admin/stats':
        return sendJson(res, 200, {
          active_streams: activeStreams,
          pending_timers: pendingTimers,
          hanging: hanging.size,
        });
      case 'GET /__admin/requests':
        return sendJson(res, 200, recorded);
      case 'POST /__admin/reset':
        behaviour = defaultBehaviour();
        recorded = [];
        releaseHanging();
        return sendJson(res, 200, { ok: true });
      case 'GET /__admin/behaviour':
        return sendJson(res, 200, behaviour);
      case 'POST /__admin/behaviour': {
        try {
          const patch = text.trim() ? (JSON.parse(text) as Record<string, unknown>) : {};
          behaviour = applyBehaviour(behaviour, patch);
        } catch (err) {
          return sendJson(res, 400, {
            error: err instanceof BehaviourError ? err.message : 'body must be a JSON object',
          });
        }
        if (!behaviour.hang) releaseHanging();
        return sendJson(res, 200, behaviour);
      }
      default:
        return sendJson(res, 404, { error: `unknown admin route: ${route}` });
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://llm-stub.local');
    const p = url.pathname;
    let work: Promise<void>;
    if (p.startsWith('/__admin')) work = admin(req, res, url);
    else if (req.method === 'POST' && (p === '/v1/chat/completions' || p === '/chat/completions'))
      work = completions(req, res, p);
    else if (req.method === 'GET' && (p === '/v1/models' || p === '/models')) {
      sendJson(res, 200, {
        object: 'list',
        data: [{ id: DEFAULT_MODEL, object: 'model', created: 1_700_000_000, owned_by: 'llm-stub' }],
      });
      return;
    } else {
      sendJson(res, 404, {
        error: {
          message: `Unknown route ${req.method} ${p}`,
          type: 'invalid_request_error',
          param: null,
          code: 'unknown_url',
        },
      });
      return;
    }
    work.catch((err: unknown) => {
      console.error('[llm-stub] handler error', err);
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, openAiError(500));
    });
  });
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
        releaseHanging();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
