import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { CallScript, Step } from './call-script';
import { newSid } from './ids';
import { twilioSignature } from './signing';
import type { RelayTwiml } from './twiml';

/**
 * Twilio's side of a ConversationRelay session: opens the WebSocket to the
 * application (signed handshake), sends `setup`, plays the caller's script
 * (prompts, DTMF, silence, barge-in, hang-up) and records what the
 * application said, turn by turn. Timings use performance.now(); nothing is
 * logged per frame, so hundreds of sessions can run side by side.
 */

export interface RelayContext {
  relay: RelayTwiml;
  authToken: string;
  accountSid: string;
  callSid: string;
  from: string;
  to: string;
  direction: 'inbound' | 'outbound-api';
  script: CallScript;
  /** Aborted when the call must end now (overall timeout, REST hang-up or redirect). */
  signal: AbortSignal;
}

export interface TurnToken {
  token: string;
  /** Milliseconds since the session opened. */
  at_ms: number;
}

export interface Turn {
  index: number;
  after: 'greeting' | 'say' | 'dtmf' | 'silence';
  prompt?: string;
  tokens: TurnToken[];
  text: string;
  /** From sending the prompt/dtmf frame to the first non-empty token; null if none (or no prompt). */
  first_token_ms: number | null;
  last_received: boolean;
  interrupted: boolean;
  heard?: string;
  timed_out: boolean;
}

export interface RelayFrame {
  type: string;
  at_ms: number;
  frame: Record<string, unknown>;
}

export interface RelayReport {
  url: string;
  attributes: Record<string, string>;
  parameters: Record<string, string>;
  session_id: string;
  /** HTTP status of the handshake: 101 when upgraded, another status when refused, 0 when no answer. */
  handshake_status: number;
  handshake_error: string | null;
  session_status: 'ended' | 'completed' | 'failed';
  session_duration: number;
  handoff_data: string | null;
  turns: Turn[];
  /** end, play, sendDigits and language frames, in arrival order. */
  frames: RelayFrame[];
  /** Frames Twilio would reject: not JSON, unknown type, malformed text frame. */
  protocol_errors: { at_ms: number; frame: string; reason: string }[];
  close: { code: number; reason: string; by: 'application' | 'sandbox' } | null;
  /** Steps of the script that were played before the session ended. */
  steps_played: number;
}

const HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * After a barge-in the caller is still speaking: the next step starts when the
 * interrupted reply has ended (`last:true`) or this long after the interrupt,
 * so a closing `last:true` the application sends for the interrupted reply is
 * not taken for the end of the next one.
 */
export const INTERRUPT_SETTLE_MS = 200;
const CLOSE_GRACE_MS = 2_000;
const RECORDED_TYPES = new Set(['end', 'play', 'sendDigits', 'language']);

const round = (ms: number) => Math.round(ms * 10) / 10;

interface OpenTurn {
  turn: Turn;
  sentAt: number | null;
  firstTokenAt: number | null;
  nonEmpty: number;
  bargeInAfter: number | undefined;
  done: boolean;
}

export class RelaySession {
  private ws: WebSocket | null = null;
  private t0 = 0;
  private current: OpenTurn | null = null;
  private turnDone: (() => void) | null = null;
  private closedWaiters: (() => void)[] = [];
  private closed = false;
  private sandboxClosed = false;
  private endReceived = false;
  private stepsStarted = false;
  private readonly report: RelayReport;

  constructor(private readonly ctx: RelayContext) {
    const attrs = ctx.relay.attributes;
    this.report = {
      url: attrs.url ?? '',
      attributes: { ...attrs },
      parameters: { ...ctx.relay.parameters },
      session_id: newSid('VX'),
      handshake_status: 0,
      handshake_error: null,
      session_status: 'failed',
      session_duration: 0,
      handoff_data: null,
      turns: [],
      frames: [],
      protocol_errors: [],
      close: null,
      steps_played: 0,
    };
  }

  async run(): Promise<RelayReport> {
    const opened = await this.open();
    if (!opened) return this.report;
    this.sendSetup();
    const greeting = this.ctx.relay.attributes.welcomeGreeting;
    if (greeting) {
      this.report.turns.push({
        index: 0,
        after: 'greeting',
        tokens: [],
        text: greeting,
        first_token_ms: null,
        last_received: true,
        interrupted: false,
        timed_out: false,
      });
    }
    const onAbort = () => this.hangUp();
    this.ctx.signal.addEventListener('abort', onAbort);
    try {
      if (this.ctx.signal.aborted) this.hangUp();
      for (const step of this.ctx.script.steps) {
        if (this.closed || this.endReceived) break;
        this.stepsStarted = true;
        await this.play(step);
        this.report.steps_played++;
      }
      if (!this.closed && !this.endReceived && this.ctx.script.then === 'wait_for_end') {
        this.current = null;
        await this.untilClosed();
      }
      if (!this.closed) this.hangUp();
      await this.untilClosed();
    } finally {
      this.ctx.signal.removeEventListener('abort', onAbort);
    }
    const seconds = (performance.now() - this.t0) / 1000;
    this.report.session_duration = Math.max(0, Math.round(seconds));
    this.report.session_status = this.endReceived ? 'ended' : this.sandboxClosed ? 'completed' : 'failed';
    return this.report;
  }

  /** Resolves true once upgraded; false (with handshake_status recorded) when refused or unreachable. */
  private open(): Promise<boolean> {
    const url = this.report.url;
    return new Promise((resolve) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url, {
          headers: { 'x-twilio-signature': twilioSignature(this.ctx.authToken, url, {}) },
          handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
          perMessageDeflate: false,
        });
      } catch (err) {
        this.report.handshake_error = (err as Error).message;
        resolve(false);
        return;
      }
      this.ws = ws;
      let settled = false;
      const fail = (status: number, error: string) => {
        if (settled) return;
        settled = true;
        this.report.handshake_status = status;
        this.report.handshake_error = error;
        this.closed = true;
        resolve(false);
      };
      ws.on('unexpected-response', (req, res) => {
        fail(res.statusCode ?? 0, `handshake refused with HTTP ${res.statusCode}`);
        req.destroy();
      });
      ws.on('error', (err) => {
        if (!settled) fail(0, err.message);
      });
      const onAbort = () => {
        ws.terminate();
        fail(0, 'call ended before the WebSocket opened');
      };
      this.ctx.signal.addEventListener('abort', onAbort, { once: true });
      ws.on('open', () => {
        this.ctx.signal.removeEventListener('abort', onAbort);
        if (settled) return;
        settled = true;
        this.t0 = performance.now();
        this.report.handshake_status = 101;
        ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
        ws.on('close', (code, reason) => this.onClose(code, reason.toString('utf8')));
        resolve(true);
      });
    });
  }

  private now(): number {
    return performance.now() - this.t0;
  }

  private send(frame: Record<string, unknown>): void {
    if (this.closed || !this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify(frame));
  }

  private sendSetup(): void {
    const c = this.ctx;
    this.send({
      type: 'setup',
      sessionId: this.report.session_id,
      accountSid: c.accountSid,
      callSid: c.callSid,
      parentCallSid: '',
      from: c.from,
      to: c.to,
      forwardedFrom: c.to,
      callerName: '',
      direction: c.direction,
      callType: 'PSTN',
      callStatus: 'in-progress',
      customParameters: { ...c.relay.parameters },
    });
  }

  private get lang(): string {
    return this.ctx.relay.attributes.language ?? 'en-US';
  }

  private async play(step: Step): Promise<void> {
    if ('say' in step) {
      if (step.partials) {
        const words = step.say.split(/\s+/).filter(Boolean);
        for (let i = 1; i < words.length; i++) {
          this.send({
            type: 'prompt',
            voicePrompt: words.slice(0, i).join(' '),
            lang: this.lang,
            last: false,
          });
        }
      }
      const open = this.startTurn('say', step.say, step.barge_in_after_tokens);
      this.send({ type: 'prompt', voicePrompt: step.say, lang: this.lang, last: true });
      open.sentAt = performance.now();
      await this.waitTurn(open);
      return;
    }
    if ('dtmf' in step) {
      const open = this.startTurn('dtmf', step.dtmf, undefined);
      for (const digit of step.dtmf) this.send({ type: 'dtmf', digit });
      open.sentAt = performance.now();
      await this.waitTurn(open);
      return;
    }
    if ('silence_ms' in step) {
      this.current = null;
      await this.wait(step.silence_ms);
      return;
    }
    this.hangUp();
  }

  private startTurn(
    after: Turn['after'],
    prompt: string | undefined,
    bargeInAfter: number | undefined,
  ): OpenTurn {
    const turn: Turn = {
      index: this.report.turns.length,
      after,
      ...(prompt !== undefined ? { prompt } : {}),
      tokens: [],
      text: '',
      first_token_ms: null,
      last_received: false,
      interrupted: false,
      timed_out: false,
    };
    this.report.turns.push(turn);
    const open: OpenTurn = { turn, sentAt: null, firstTokenAt: null, nonEmpty: 0, bargeInAfter, done: false };
    this.current = open;
    return open;
  }

  private finishTurn(open: OpenTurn): void {
    if (open.done) return;
    open.done = true;
    if (this.current === open && this.turnDone) {
      const done = this.turnDone;
      this.turnDone = null;
      done();
    }
  }

  /** Waits for the agent's turn: last:true, an interrupt we sent, end, close, or turn_timeout_ms. */
  private waitTurn(open: OpenTurn): Promise<void> {
    if (open.done || this.closed || this.endReceived) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        open.turn.timed_out = true;
        this.finishTurn(open);
      }, this.ctx.script.turn_timeout_ms);
      this.turnDone = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Sleeps, but wakes at once when the session closes. */
  private wait(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.closedWaiters.indexOf(done);
        if (i >= 0) this.closedWaiters.splice(i, 1);
        resolve();
      }, ms);
      this.closedWaiters.push(done);
    });
  }

  private untilClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  /** The caller hangs up: the sandbox closes the socket (and kills it if the close handshake stalls). */
  private hangUp(): void {
    if (this.closed || !this.ws) return;
    if (!this.endReceived) this.sandboxClosed = true;
    const ws = this.ws;
    ws.close(1000, this.endReceived ? 'session ended' : 'caller hung up');
    const kill = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    kill.unref();
    ws.once('close', () => clearTimeout(kill));
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const by = this.sandboxClosed || this.endReceived ? 'sandbox' : 'application';
    this.report.close = { code, reason, by };
    if (this.current) this.finishTurn(this.current);
    const waiters = this.closedWaiters;
    this.closedWaiters = [];
    for (const w of waiters) w();
  }

  private protocolError(frame: string, reason: string): void {
    this.report.protocol_errors.push({ at_ms: round(this.now()), frame: frame.slice(0, 500), reason });
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data).toString('utf8');
    if (isBinary) return this.protocolError(text, 'binary frame');
    let frame: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      frame = parsed as Record<string, unknown>;
    } catch {
      return this.protocolError(text, 'not a JSON object');
    }
    const type = frame.type;
    if (type === 'text') return this.onText(frame, text);
    if (typeof type === 'string' && RECORDED_TYPES.has(type)) {
      this.report.frames.push({ type, at_ms: round(this.now()), frame });
      if (type === 'end') this.onEnd(frame);
      return;
    }
    this.protocolError(text, `unknown frame type ${JSON.stringify(type)}`);
  }

  private onText(frame: Record<string, unknown>, raw: string): void {
    if (typeof frame.token !== 'string') return this.protocolError(raw, 'text frame without a string token');
    const at = performance.now();
    let open = this.current;
    if (!open) open = this.startTurn(this.stepsStarted ? 'silence' : 'greeting', undefined, undefined);
    const turn = open.turn;
    turn.tokens.push({ token: frame.token, at_ms: round(at - this.t0) });
    turn.text += frame.token;
    if (frame.token !== '') {
      open.nonEmpty++;
      if (open.firstTokenAt === null) {
        open.firstTokenAt = at;
        if (open.sentAt !== null) turn.first_token_ms = round(at - open.sentAt);
      }
      if (open.bargeInAfter !== undefined && !turn.interrupted && open.nonEmpty >= open.bargeInAfter) {
        turn.interrupted = true;
        turn.heard = turn.text;
        this.send({
          type: 'interrupt',
          utteranceUntilInterrupt: turn.heard,
          durationUntilInterruptMs: Math.round(at - open.firstTokenAt),
        });
        setTimeout(() => this.finishTurn(open), INTERRUPT_SETTLE_MS).unref();
      }
    }
    if (frame.last === true) {
      turn.last_received = true;
      this.finishTurn(open);
      if (this.current === open) this.current = null;
    }
  }

  private onEnd(frame: Record<string, unknown>): void {
    this.endReceived = true;
    const handoff = frame.handoffData;
    if (handoff !== undefined && handoff !== null) {
      this.report.handoff_data = typeof handoff === 'string' ? handoff : JSON.stringify(handoff);
    }
    if (this.current) this.finishTurn(this.current);
    // Twilio ends the session itself once the application says `end`.
    this.hangUp();
  }
}

export function runRelaySession(ctx: RelayContext): Promise<RelayReport> {
  return new RelaySession(ctx).run();
}
