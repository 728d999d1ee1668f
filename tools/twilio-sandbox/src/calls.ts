import type { CallScript } from './call-script';
import type { CallFinalStatus } from './call-rules';
import { API_VERSION } from './fixtures';
import { newSid, rfc2822 } from './ids';
import { countryOf } from './inbound';
import { runRelaySession, type RelayReport } from './relay-session';
import { twilioSignature } from './signing';
import type { CallCallbackFault, SandboxState } from './state';
import { parseTwiml, TwimlError, type Verb } from './twiml';
import { WebhookTransport } from './webhook-transport';

/**
 * Voice calls, the way Twilio runs them: fetch TwiML (signed webhook), run its
 * verbs (Say, Pause, Hangup, Reject, Connect/ConversationRelay), POST the
 * Connect action URL when the relay session ends, and report progress to the
 * status callback. Inbound calls are placed by POST /__admin/calls, outbound
 * ones by the REST API; both leave a report at GET /__admin/calls/:sid.
 */

export type CallStatus =
  'queued' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'failed' | 'no-answer' | 'canceled';

export type CallOutcome =
  'completed' | 'application_error' | 'rejected' | 'busy' | 'no-answer' | 'failed' | 'canceled' | 'timeout';

export type StatusEvent = 'initiated' | 'ringing' | 'answered' | 'completed';

export interface WebhookRecord {
  url: string;
  method: string;
  params: Record<string, string>;
  http_status: number;
  ms: number;
  error: string | null;
  twiml: string | null;
  verbs: Verb[] | null;
}

export interface StatusCallbackRecord {
  event: StatusEvent;
  call_status: string;
  sequence_number: number;
  http_status: number;
  at: string;
  copy: number;
  error?: string;
}

export interface Call {
  sid: string;
  accountSid: string;
  direction: 'inbound' | 'outbound-api';
  from: string;
  to: string;
  phoneNumberSid: string | null;
  status: CallStatus;
  dateCreated: Date;
  dateUpdated: Date;
  /** When dialling started (Twilio's start_time); null while queued. */
  startTime: Date | null;
  answeredAt: Date | null;
  endTime: Date | null;
  /** Where the call's TwiML comes from: a URL (with method) or inline TwiML. */
  source: { url: string; method: string } | { twiml: string };
  statusCallback: string | null;
  statusCallbackMethod: string;
  statusCallbackEvents: Set<StatusEvent>;
  script: CallScript;
  callbackFault: CallCallbackFault | null;
  outcome: CallOutcome | null;
  error: string | null;
  errorCode: number | null;
  webhook: WebhookRecord | null;
  actions: WebhookRecord[];
  relays: RelayReport[];
  said: string[];
  statusCallbacks: StatusCallbackRecord[];
  /** Aborted to end the call now; `abortReason` says why. */
  abort: AbortController;
  abortReason: 'timeout' | 'hangup' | 'redirect' | 'reset' | null;
  redirect: { url: string; method: string } | { twiml: string } | null;
  sequence: number;
  /** Callbacks go out one after another through this chain. */
  callbackChain: Promise<void>;
  heldCallbacks: { event: StatusEvent; params: Record<string, string> }[];
  /** Resolves when the call has ended and its callbacks were sent. */
  done: Promise<void>;
}

const MAX_DOCUMENTS = 8;
const FINAL: ReadonlySet<CallStatus> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', done);
      resolve();
    }, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

export function isFinalStatus(status: CallStatus): boolean {
  return FINAL.has(status);
}

/** The admin view of a call: its current state and everything that happened so far. */
export function callReport(c: Call) {
  return {
    call_sid: c.sid,
    account_sid: c.accountSid,
    direction: c.direction,
    from: c.from,
    to: c.to,
    status: c.status,
    outcome: c.outcome,
    error: c.error,
    error_code: c.errorCode,
    date_created: c.dateCreated.toISOString(),
    start_time: c.startTime?.toISOString() ?? null,
    answered_at: c.answeredAt?.toISOString() ?? null,
    end_time: c.endTime?.toISOString() ?? null,
    duration: callDuration(c),
    script: c.script,
    webhook: c.webhook,
    twiml: c.webhook?.twiml ?? null,
    said: c.said.slice(),
    relay: c.relays[0] ?? null,
    relays: c.relays.slice(),
    action: c.actions[0] ?? null,
    actions: c.actions.slice(),
    status_callbacks: c.statusCallbacks.slice(),
  };
}

/** Whole seconds from answer to end (0 when never answered). */
export function callDuration(c: Call): number | null {
  if (!c.endTime) return null;
  if (!c.answeredAt) return 0;
  return Math.max(0, Math.ceil((c.endTime.getTime() - c.answeredAt.getTime()) / 1000));
}

export interface NewCall {
  accountSid: string;
  direction: 'inbound' | 'outbound-api';
  from: string;
  to: string;
  phoneNumberSid: string | null;
  source: Call['source'];
  statusCallback: string | null;
  statusCallbackMethod: string;
  statusCallbackEvents: Set<StatusEvent>;
  script: CallScript;
  callbackFault: CallCallbackFault | null;
}

export class CallEngine {
  constructor(
    private readonly state: SandboxState,
    private readonly transport: WebhookTransport,
    private readonly stepDelayMs: number,
  ) {}

  /** Creates a call record (status queued for outbound, ringing for inbound); nothing runs yet. */
  create(spec: NewCall): Call {
    const now = new Date();
    const call: Call = {
      sid: newSid('CA'),
      ...spec,
      status: spec.direction === 'inbound' ? 'ringing' : 'queued',
      dateCreated: now,
      dateUpdated: now,
      startTime: spec.direction === 'inbound' ? now : null,
      answeredAt: null,
      endTime: null,
      outcome: null,
      error: null,
      errorCode: null,
      webhook: null,
      actions: [],
      relays: [],
      said: [],
      statusCallbacks: [],
      abort: new AbortController(),
      abortReason: null,
      redirect: null,
      sequence: 0,
      callbackChain: Promise.resolve(),
      heldCallbacks: [],
      done: Promise.resolve(),
    };
    this.state.addCall(call);
    return call;
  }

  /** Runs an inbound call: webhook, TwiML, relay, action, status callback. */
  startInbound(call: Call): void {
    call.done = this.guard(call, async () => {
      await this.runDocument(call, await this.fetchSource(call, 'ringing'));
    });
  }

  /** Runs an outbound call: initiated, ringing, then the callee's rule decides. */
  startOutbound(call: Call, unanswered: CallFinalStatus | null): void {
    call.done = this.guard(call, async () => {
      const signal = call.abort.signal;
      await sleep(this.stepDelayMs, signal);
      if (signal.aborted) return this.cancel(call);
      call.startTime = new Date();
      this.setStatus(call, 'queued');
      this.emit(call, 'initiated', 'initiated');
      await sleep(this.stepDelayMs, signal);
      if (signal.aborted) return this.cancel(call);
      if (unanswered === 'failed') return this.end(call, 'failed', 'failed');
      this.setStatus(call, 'ringing');
      this.emit(call, 'ringing', 'ringing');
      await sleep(this.stepDelayMs, signal);
      if (signal.aborted) return this.cancel(call);
      if (unanswered) return this.end(call, unanswered, unanswered);
      this.answer(call);
      await this.runDocument(call, await this.fetchSource(call, 'in-progress'));
    });
  }

  /**
   * REST hang-up or redirect of a live call (POST .../Calls/{Sid}.json).
   * Hang-up of a queued or ringing call cancels it.
   */
  hangUp(call: Call, status: 'completed' | 'canceled'): void {
    if (isFinalStatus(call.status)) return;
    if (status === 'canceled' && call.status === 'in-progress') return; // Twilio ignores it
    this.abortCall(call, 'hangup');
  }

  redirect(call: Call, target: NonNullable<Call['redirect']>): void {
    if (call.status !== 'in-progress') return;
    call.redirect = target;
    this.abortCall(call, 'redirect');
  }

  /** Ends every live call (admin reset, server close). */
  abortAll(): void {
    for (const call of this.state.calls.values()) {
      if (!isFinalStatus(call.status)) this.abortCall(call, 'reset');
    }
  }

  private abortCall(call: Call, reason: NonNullable<Call['abortReason']>): void {
    if (call.abort.signal.aborted) return;
    call.abortReason = reason;
    call.abort.abort();
  }

  /** Runs the flow, bounds it by the script's timeout, and always ends the call and flushes callbacks. */
  private guard(call: Call, flow: () => Promise<void>): Promise<void> {
    const timer = setTimeout(() => this.abortCall(call, 'timeout'), call.script.timeout_ms);
    const run = async () => {
      try {
        await flow();
      } catch (err) {
        call.error = `sandbox error: ${(err as Error).message}`;
        console.error('[twilio-sandbox] call error', err);
      } finally {
        clearTimeout(timer);
        if (!isFinalStatus(call.status)) {
          if (call.abortReason === 'timeout') call.outcome ??= 'timeout';
          this.end(call, 'completed', call.outcome ?? 'completed');
        }
        this.flushHeld(call);
        await call.callbackChain;
      }
    };
    return run();
  }

  private setStatus(call: Call, status: CallStatus): void {
    call.status = status;
    call.dateUpdated = new Date();
  }

  private answer(call: Call): void {
    if (call.answeredAt) return;
    call.answeredAt = new Date();
    this.setStatus(call, 'in-progress');
    if (call.direction === 'outbound-api') this.emit(call, 'answered', 'in-progress');
  }

  private cancel(call: Call): void {
    this.end(call, 'canceled', 'canceled');
  }

  private end(call: Call, status: CallStatus, outcome: CallOutcome): void {
    if (isFinalStatus(call.status)) return;
    call.endTime = new Date();
    call.outcome ??= outcome;
    this.setStatus(call, status);
    this.emit(call, 'completed', status);
  }

  // ---- TwiML ----------------------------------------------------------------------------------------

  private baseParams(call: Call, callStatus: string): Record<string, string> {
    return {
      AccountSid: call.accountSid,
      ApiVersion: API_VERSION,
      CallSid: call.sid,
      CallStatus: callStatus,
      Called: call.to,
      Caller: call.from,
      Direction: call.direction,
      From: call.from,
      FromCountry: countryOf(call.from),
      To: call.to,
      ToCountry: countryOf(call.to),
    };
  }

  private token(call: Call): string {
    return this.state.accounts.get(call.accountSid)?.authToken ?? '';
  }

  /** A signed webhook (GET or POST) whose answer is TwiML; never throws. */
  private async fetchTwiml(
    call: Call,
    url: string,
    method: string,
    params: Record<string, string>,
  ): Promise<WebhookRecord> {
    const upper = method.toUpperCase() === 'GET' ? 'GET' : 'POST';
    const signedUrl = WebhookTransport.urlFor(url, upper, params);
    const signature = twilioSignature(this.token(call), signedUrl, upper === 'POST' ? params : {});
    const result = await this.transport.send(url, upper, params, {
      'x-twilio-signature': signature,
      'i-twilio-idempotency-token': `${call.sid}-${newSid('').slice(0, 8)}`,
    });
    const record: WebhookRecord = {
      url,
      method: upper,
      params,
      http_status: result.status,
      ms: result.ms,
      error: result.error ?? null,
      twiml: result.status > 0 ? result.body : null,
      verbs: null,
    };
    if (result.status < 200 || result.status > 299) {
      record.error ??= `HTTP ${result.status}`;
      return record;
    }
    try {
      record.verbs = parseTwiml(result.body);
    } catch (err) {
      record.error = err instanceof TwimlError ? err.message : String(err);
    }
    return record;
  }

  private inlineTwiml(twiml: string): WebhookRecord {
    const record: WebhookRecord = {
      url: '',
      method: '',
      params: {},
      http_status: 0,
      ms: 0,
      error: null,
      twiml,
      verbs: null,
    };
    try {
      record.verbs = parseTwiml(twiml);
    } catch (err) {
      record.error = err instanceof TwimlError ? err.message : String(err);
    }
    return record;
  }

  private async fetchSource(call: Call, callStatus: string): Promise<WebhookRecord> {
    const src = call.source;
    const record =
      'twiml' in src
        ? this.inlineTwiml(src.twiml)
        : await this.fetchTwiml(call, src.url, src.method, this.baseParams(call, callStatus));
    call.webhook = record;
    return record;
  }

  /** Twilio plays "an application error has occurred" and hangs up; the call leg ends `completed`. */
  private applicationError(call: Call, record: WebhookRecord): void {
    call.outcome ??= 'application_error';
    call.errorCode =
      record.verbs === null && record.http_status >= 200 && record.http_status <= 299 ? 12100 : 11200;
    call.error = record.error;
    this.answer(call);
  }

  /** Runs a fetched document, then any redirect the REST API asked for. */
  private async runDocument(call: Call, record: WebhookRecord): Promise<void> {
    let current: WebhookRecord | null = record;
    for (let documents = 0; current && documents < MAX_DOCUMENTS; documents++) {
      if (!current.verbs) return this.applicationError(call, current);
      const result = await this.execute(call, current.verbs);
      if (result === 'rejected' || result === 'hangup') return;
      if (call.abortReason !== 'redirect' || !call.redirect) return;
      // Redirect: a fresh abort controller for the new document.
      const target = call.redirect;
      call.redirect = null;
      call.abortReason = null;
      call.abort = new AbortController();
      current =
        'twiml' in target
          ? this.inlineTwiml(target.twiml)
          : await this.fetchTwiml(call, target.url, target.method, this.baseParams(call, 'in-progress'));
      call.actions.push(current);
    }
  }

  /** Executes verbs; 'document' means it ran off the end (Twilio then hangs up). */
  private async execute(call: Call, verbs: Verb[]): Promise<'hangup' | 'rejected' | 'document' | 'aborted'> {
    for (const verb of verbs) {
      if (call.abort.signal.aborted) return 'aborted';
      switch (verb.kind) {
        case 'reject':
          if (call.answeredAt) return 'hangup';
          // Twilio reports a rejected call as busy, whichever reason (rejected or busy) it played.
          this.end(call, 'busy', 'rejected');
          return 'rejected';
        case 'say':
          this.answer(call);
          call.said.push(verb.text);
          break;
        case 'pause':
          this.answer(call);
          await sleep(verb.length * 1000, call.abort.signal);
          break;
        case 'hangup':
          this.answer(call);
          return 'hangup';
        case 'connect': {
          this.answer(call);
          if (!verb.relay) break;
          const next = await this.connect(call, verb.attributes, verb.relay);
          if (next === 'aborted') return 'aborted';
          if (next !== null) return next;
          break;
        }
        case 'unsupported':
          this.answer(call);
          break;
      }
    }
    return call.abort.signal.aborted ? 'aborted' : 'document';
  }

  /**
   * One ConversationRelay session, then the Connect action. Returns null to go
   * on with the verbs after <Connect> (no action URL), or how the call went on.
   */
  private async connect(
    call: Call,
    attributes: Record<string, string>,
    relay: NonNullable<Extract<Verb, { kind: 'connect' }>['relay']>,
  ): Promise<'hangup' | 'rejected' | 'document' | 'aborted' | null> {
    const report = await runRelaySession({
      relay,
      authToken: this.token(call),
      accountSid: call.accountSid,
      callSid: call.sid,
      from: call.from,
      to: call.to,
      direction: call.direction,
      script: call.script,
      signal: call.abort.signal,
    });
    call.relays.push(report);
    if (call.abortReason === 'redirect' || call.abortReason === 'reset') return 'aborted';
    const callerGone = report.session_status === 'completed';
    const action = attributes.action;
    if (!action) return callerGone ? 'hangup' : null;
    const params: Record<string, string> = {
      ...this.baseParams(call, callerGone ? 'completed' : 'in-progress'),
      SessionId: report.session_id,
      SessionStatus: report.session_status,
      SessionDuration: String(report.session_duration),
    };
    if (report.handoff_data !== null) params.HandoffData = report.handoff_data;
    const record = await this.fetchTwiml(call, action, attributes.method ?? 'POST', params);
    call.actions.push(record);
    // The caller already hung up: Twilio requests the action URL but has no call to run it on.
    if (callerGone || call.abort.signal.aborted) return 'hangup';
    if (!record.verbs) {
      this.applicationError(call, record);
      return 'hangup';
    }
    return this.execute(call, record.verbs);
  }

  // ---- status callbacks -----------------------------------------------------------------------------

  /** Queues one status callback (if subscribed); per call they go out in order, one at a time. */
  private emit(call: Call, event: StatusEvent, callStatus: string): void {
    const url = call.statusCallback;
    if (!url || !call.statusCallbackEvents.has(event)) return;
    const params: Record<string, string> = {
      ...this.baseParams(call, callStatus),
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(call.sequence++),
      Timestamp: rfc2822(new Date()),
    };
    if (event === 'completed') params.CallDuration = String(callDuration(call) ?? 0);
    if (call.callbackFault?.reverse) {
      call.heldCallbacks.push({ event, params });
      if (event === 'completed') this.flushHeld(call);
      return;
    }
    this.queue(call, event, params);
  }

  private flushHeld(call: Call): void {
    const held = call.heldCallbacks.reverse();
    call.heldCallbacks = [];
    for (const h of held) this.queue(call, h.event, h.params);
  }

  private queue(call: Call, event: StatusEvent, params: Record<string, string>): void {
    const generation = this.state.generation;
    const copies = call.callbackFault?.duplicate ? 2 : 1;
    call.callbackChain = call.callbackChain.then(async () => {
      for (let copy = 1; copy <= copies; copy++) {
        if (generation !== this.state.generation || !call.statusCallback) return;
        const url = call.statusCallback;
        const method = call.statusCallbackMethod.toUpperCase() === 'GET' ? 'GET' : 'POST';
        const signedUrl = WebhookTransport.urlFor(url, method, params);
        const result = await this.transport.send(url, method, params, {
          'x-twilio-signature': twilioSignature(this.token(call), signedUrl, method === 'POST' ? params : {}),
          'i-twilio-idempotency-token': `${call.sid}-${params.SequenceNumber}`,
        });
        call.statusCallbacks.push({
          event,
          call_status: params.CallStatus,
          sequence_number: Number(params.SequenceNumber),
          http_status: result.status,
          at: new Date().toISOString(),
          copy,
          ...(result.error ? { error: result.error } : {}),
        });
      }
    });
  }
}
