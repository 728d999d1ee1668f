import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import twilio from 'twilio';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * Twilio's counterpart for the voice tests (not our service): answers TwiML
 * webhooks and ConversationRelay WebSockets the way an application would,
 * checks every signature and records everything the sandbox sent.
 */

export interface AppRequest {
  method: string;
  path: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  params: Record<string, string>;
  signatureValid: boolean;
  at: number;
}

export interface RelayConnection {
  path: string;
  signatureValid: boolean;
  frames: Record<string, unknown>[];
  ws: WebSocket;
  closed: Promise<{ code: number }>;
}

export type TwimlAnswer = { status?: number; body: string };

export interface VoiceApp {
  url: string;
  wsUrl: string;
  requests: AppRequest[];
  relays: RelayConnection[];
  /** What a webhook path answers (default: an empty Response). */
  twiml: (req: AppRequest) => TwimlAnswer;
  /** Called for every frame the sandbox sends on a relay socket. */
  onFrame: (conn: RelayConnection, frame: Record<string, unknown>) => void;
  /** Upgrade paths containing this string are refused with HTTP 403. */
  refusePath: string;
  forPath(p: string): AppRequest[];
  waitFor(pred: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function sendText(conn: RelayConnection, token: string, last = false): void {
  if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify({ type: 'text', token, last }));
}

/** Streams tokens `delayMs` apart, then `last:true`; stops early when `stop()` says so. */
export async function streamTokens(
  conn: RelayConnection,
  tokens: string[],
  delayMs: number,
  stop: () => boolean = () => false,
): Promise<void> {
  for (const t of tokens) {
    if (stop()) return;
    sendText(conn, t);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  }
  sendText(conn, '', true);
}

export async function startVoiceApp(authToken: () => string): Promise<VoiceApp> {
  let base = '';
  const wss = new WebSocketServer({ noServer: true });
  const app: VoiceApp = {
    url: '',
    wsUrl: '',
    requests: [],
    relays: [],
    twiml: () => ({ body: '<?xml version="1.0" encoding="UTF-8"?><Response/>' }),
    onFrame: () => undefined,
    refusePath: '/refuse',
    forPath: (p) => app.requests.filter((r) => r.path === p),
    async waitFor(pred, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error('voice app: timed out waiting');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', base);
      const params =
        req.method === 'GET'
          ? Object.fromEntries(u.searchParams)
          : Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const url = base + (req.url ?? '/');
      const entry: AppRequest = {
        method: req.method ?? '',
        path: u.pathname,
        url,
        headers: req.headers,
        params,
        signatureValid: twilio.validateRequest(
          authToken(),
          String(req.headers['x-twilio-signature']),
          url,
          req.method === 'GET' ? {} : params,
        ),
        at: Date.now(),
      };
      app.requests.push(entry);
      const answer = app.twiml(entry);
      res.writeHead(answer.status ?? 200, { 'content-type': 'text/xml' });
      res.end(answer.body);
    });
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const wsUrl = base.replace(/^http/, 'ws') + (req.url ?? '/');
    const signatureValid = twilio.validateRequest(
      authToken(),
      String(req.headers['x-twilio-signature']),
      wsUrl,
      {},
    );
    if (!signatureValid || (req.url ?? '').includes(app.refusePath)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      let resolveClosed: (v: { code: number }) => void = () => undefined;
      const conn: RelayConnection = {
        path: req.url ?? '/',
        signatureValid,
        frames: [],
        ws,
        closed: new Promise((r) => (resolveClosed = r)),
      };
      app.relays.push(conn);
      ws.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
        conn.frames.push(frame);
        app.onFrame(conn, frame);
      });
      ws.on('close', (code) => resolveClosed({ code }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  app.url = base;
  app.wsUrl = base.replace(/^http/, 'ws');
  return app;
}

/** TwiML built with the SDK, as the engine builds it. */
export function relayTwiml(opts: {
  action?: string;
  url: string;
  welcomeGreeting?: string;
  parameters?: Record<string, string>;
}): string {
  const response = new twilio.twiml.VoiceResponse();
  const connect = response.connect(opts.action ? { action: opts.action } : {});
  const relay = connect.conversationRelay({
    url: opts.url,
    ...(opts.welcomeGreeting ? { welcomeGreeting: opts.welcomeGreeting } : {}),
    voice: 'en-GB-Journey-D',
    ttsProvider: 'Google',
    language: 'en-GB',
    interruptible: 'any',
    dtmfDetection: true,
  });
  for (const [name, value] of Object.entries(opts.parameters ?? {})) relay.parameter({ name, value });
  return response.toString();
}
