import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppError, ResolvedNumber, config } from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import { VOICE_RELAY_PATH } from '@nixflex/common/twilio';
import type { IncomingMessage, Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import twilio from 'twilio';
import { WebSocketServer } from 'ws';
import type { Call } from '../data/call.entities';
import { CallsRepository } from '../data/calls.repository';
import { RelaySessions } from './relay-sessions';

/** Largest frame Twilio sends us (a prompt is a sentence or two). */
const MAX_FRAME_BYTES = 64 * 1024;

/**
 * The ConversationRelay WebSocket on VOICE_PORT (the service's own HTTP
 * server, `upgrade` event). Before a socket is accepted: the path is
 * VOICE_RELAY_PATH, `call_id` names a call of ours that has not ended, and
 * `X-Twilio-Signature` is valid for that call's number's auth token over
 * PUBLIC_VOICE_BASE_URL + path + query. Anything else is a plain `403` and the
 * socket is destroyed, the same for every reason (the reason is logged only).
 */
@Injectable()
export class RelayServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('RelayServer');
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly decoyToken = randomBytes(16).toString('hex');
  private server?: Server;
  private shuttingDown = false;

  constructor(
    private readonly host: HttpAdapterHost,
    private readonly calls: CallsRepository,
    private readonly numbers: NumberResolver,
    private readonly sessions: RelaySessions,
  ) {}

  onApplicationBootstrap(): void {
    this.server = this.host.httpAdapter?.getHttpServer() as Server | undefined;
    if (!this.server) throw new Error('RelayServer needs the HTTP server (bootstrapHttp)');
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => undefined);
      this.upgrade(req, socket, head).catch((err: Error) => {
        this.logger.warn(`relay handshake failed: ${err.message}`);
        refuse(socket, 503, 'Service Unavailable');
      });
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    await this.sessions.endAll();
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const rawUrl = req.url ?? '';
    const url = new URL(rawUrl, 'http://relay.invalid');
    const header = req.headers['x-twilio-signature'];
    const signature = typeof header === 'string' ? header : '';
    const callId = url.searchParams.get('call_id') ?? '';
    const forbid = (why: string): void => {
      this.logger.warn(`refused relay socket for ${callId.slice(0, 64) || '?'}: ${why}`);
      refuse(socket, 403, 'Forbidden');
    };
    if (this.shuttingDown) return refuse(socket, 503, 'Service Unavailable');
    if (url.pathname !== VOICE_RELAY_PATH) return forbid(`path ${url.pathname.slice(0, 100)}`);
    if (!signature) return forbid('no signature');
    const signedUrl = `${config().publicVoiceBaseUrl}${rawUrl}`;
    const found = /^call_[0-9a-f]{16}$/.test(callId) ? await this.find(callId) : null;
    if (!found) {
      twilio.validateRequest(this.decoyToken, signature, signedUrl, {});
      return forbid('unknown, ended or unresolvable call');
    }
    const { call, number } = found;
    if (!twilio.validateRequest(this.numbers.openTwilioToken(number), signature, signedUrl, {})) {
      return forbid('bad signature');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.sessions.open(ws, call, number);
    });
  }

  /** The call and its number; null when there is no such open call or its number is gone. */
  private async find(callId: string): Promise<{ call: Call; number: ResolvedNumber } | null> {
    const call = await this.calls.findById(callId);
    if (!call || call.endedAt !== null || call.twilioSid === null) return null;
    try {
      const number = await this.numbers.resolve(call.ourNumber);
      if (number.account_id !== call.accountId) return null;
      if (call.twilioAccountSid && number.twilio_account_sid !== call.twilioAccountSid) return null;
      return { call, number };
    } catch (err) {
      if (err instanceof AppError && err.status < 500) return null;
      throw err;
    }
  }
}

/** A plain HTTP refusal on the raw socket (no upgrade), then the socket is gone. */
function refuse(socket: Duplex, status: number, text: string): void {
  if (socket.destroyed) return;
  const body = `${status} ${text}\n`;
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
