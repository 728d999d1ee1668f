import { Logger } from '@nestjs/common';
import type { CallEndReason, ResolvedNumber, VoiceSettings } from '@nixflex/common';
import {
  llmFailureText,
  ActionTagFilter,
  AgentReplyGenerator,
  AgentTool,
  AgentTurn,
  CallerHistory,
  UsageTally,
} from '@nixflex/common/agent';
import type { BudgetState } from '@nixflex/common/usage';
import { CALLER_HISTORY_TIMEOUT_MS, CallerHistoryClient } from '@nixflex/common/history';
import type { EntityManager } from 'typeorm';
import { secondsSince, voiceTurnFirstToken } from '@nixflex/common/metrics';
import WebSocket from 'ws';
import { CallSms } from '../actions/call-sms';
import { TurnActions, fillerFor } from '../actions/turn-actions';
import { agentNumberFor, greetingFor } from '../answer/call-settings';
import type { Call } from '../data/call.entities';
import { CallsRepository } from '../data/calls.repository';
import { CallerHistoryService } from '../history/caller-history.service';
import { CallLifecycle } from '../status/call-lifecycle';
import { BUDGET_APOLOGY, CallUsage } from '../usage/call-usage';
import { RelayInbound, RelayOutbound, SetupFrame, encodeOutbound, parseInbound } from './relay-protocol';

/** What the caller hears when the agent cannot answer (no LLM, LLM failing or too slow). */
export const LLM_APOLOGY =
  "I'm sorry, I'm having trouble right now. I've noted your call and someone will call you back. Goodbye.";
export const SILENCE_REPROMPT = 'Are you still there?';
export const SILENCE_GOODBYE =
  "I haven't heard anything, so I'll end the call now. Thank you for calling. Goodbye.";
export const MAX_DURATION_GOODBYE =
  "I'm sorry, we've reached the time limit for this call. Please call back if you need anything else. Goodbye.";
export const SHUTDOWN_GOODBYE = 'Sorry, I have to go now. Please call back in a few minutes. Goodbye.';
/** A turn whose only words were a `[SEND_SMS: …]` tag still tells the caller. */
export const SENT_BY_TEXT = "I've sent that to you by text.";

/** What a session needs from the service (one set per process, shared by every session). */
export interface RelaySessionDeps {
  calls: CallsRepository;
  lifecycle: CallLifecycle;
  generator: AgentReplyGenerator;
  historyClient: CallerHistoryClient;
  localHistory: CallerHistoryService;
  settings: VoiceSettings;
  /** Texts the caller (the `send_sms` tool and `[SEND_SMS: …]` tags). */
  sms: CallSms;
  /** The calendar's tools and ACTIONS for a call, when its number has a calendar. */
  calendar: (call: Call, number: ResolvedNumber) => CallCalendar | null;
  logger: Logger;
  /** Token usage of the agent's turns and the account's monthly budget. */
  usage: CallUsage;
  /** The session is over (socket closed): the registry forgets it. */
  onGone: (session: RelaySession) => void;
}

export interface CallCalendar {
  tools: AgentTool[];
  timeZone: string;
}

/** The agent's turn being generated: its stream, what the caller was sent so far, its stall timer. */
interface InFlight {
  abort: AbortController;
  sent: string;
  gotToken: boolean;
  timedOut: boolean;
  /** When the stream last gave a token (or started): what the stall timer looks at. */
  lastTokenAt: number;
  timer?: NodeJS.Timeout;
  /** The tokens the turn's model calls cost (each reported when its answer ends). */
  tally: UsageTally;
}

/**
 * One call's ConversationRelay session: owns the conversation (`turns`), the
 * agent's turn in flight (an AbortController), and the call's timers
 * (silence, maximum duration). Tokens go from the LLM stream to the socket as
 * they arrive; nothing slow (no database write, no history wait beyond the
 * 400 ms cap) sits between a prompt and the LLM request: turns are persisted
 * on a per-session chain, in order, beside the conversation.
 */
export class RelaySession {
  private turns: AgentTurn[] = [];
  private history: CallerHistory | undefined;
  private historyReady: Promise<CallerHistory> | null = null;
  private inFlight: InFlight | null = null;
  private started = false;
  private ending = false;
  private closed = false;
  private repromptTimer?: NodeJS.Timeout;
  private hangupTimer?: NodeJS.Timeout;
  private maxTimer?: NodeJS.Timeout;
  /** What came of SMS the agent asked for by tag, told to it before the caller's next turn. */
  private notes: string[] = [];
  /** Tagged texts whose outcome the agent has not been told yet. */
  private readonly pendingTags = new Set<Promise<void>>();
  /** Turn writes, one after another (a turn's number is one more than the last stored). */
  private persisting: Promise<void> = Promise.resolve();
  /** The account's token budget, checked at setup and again after each turn's tokens are counted. */
  private budget: Promise<BudgetState | null> = Promise.resolve(null);

  constructor(
    private readonly ws: WebSocket,
    readonly call: Call,
    private readonly number: ResolvedNumber,
    private readonly deps: RelaySessionDeps,
    /** The session this one replaces (Twilio reconnected): its conversation, and its writes to wait for. */
    previous?: { turns: readonly AgentTurn[]; flushed: Promise<void> },
  ) {
    this.turns = previous ? previous.turns.slice() : [];
    // This call's turns are numbered in write order: ours come after the replaced session's.
    if (previous) this.persisting = previous.flushed;
    // Started at the handshake, before setup: by the first prompt it is almost always in memory.
    this.historyReady = this.loadHistory().then((h) => (this.history = h));
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onFrame(rawText(data));
    });
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => this.deps.logger.warn(`${call.id}: relay socket error: ${err.message}`));
  }

  get conversation(): readonly AgentTurn[] {
    return this.turns;
  }

  private onFrame(raw: string): void {
    const frame = parseInbound(raw);
    if (!frame) {
      this.deps.logger.warn(`${this.call.id}: ignored a relay frame we do not understand`);
      return;
    }
    this.handle(frame);
  }

  private handle(frame: RelayInbound): void {
    switch (frame.type) {
      case 'setup':
        return this.onSetup(frame);
      case 'prompt':
        if (!frame.last) return this.callerActive();
        return this.callerSaid(frame.voicePrompt);
      case 'interrupt':
        return this.onInterrupt(frame.utteranceUntilInterrupt);
      case 'dtmf':
        return this.callerSaid(`[pressed ${frame.digit}]`);
      case 'error':
        // Twilio reports it and carries on; if the session cannot, it closes it and says so at the action URL.
        this.deps.logger.warn(`${this.call.id}: relay error: ${frame.description.slice(0, 300)}`);
        return;
      default: {
        const unexpected: never = frame;
        return unexpected;
      }
    }
  }

  // ------------------------------------------------------------------ setup

  private onSetup(frame: SetupFrame): void {
    if (this.started) return;
    if (frame.callSid !== this.call.twilioSid) {
      this.deps.logger.warn(`${this.call.id}: setup for ${frame.callSid}, not ${this.call.twilioSid ?? '?'}`);
      this.ws.close(1008, 'call mismatch');
      return;
    }
    this.started = true;
    if (this.turns.length === 0) {
      // What Twilio speaks as welcomeGreeting is the agent's first turn.
      const greeting = greetingFor(this.call, this.number);
      this.turns.push({ from: 'agent', text: greeting });
      this.persist('agent', greeting, false);
    }
    void this.markInProgress();
    this.checkBudget(true);
    this.maxTimer = setTimeout(
      () => void this.endPolitely('max_duration', MAX_DURATION_GOODBYE),
      this.deps.settings.maxCallMs,
    );
    this.armSilence();
  }

  private async markInProgress(): Promise<void> {
    try {
      await this.deps.calls.transaction(async (m) => {
        const call = await this.deps.calls.lock(m, this.call.id);
        if (call) {
          await this.deps.lifecycle.apply(m, call, {
            status: 'in-progress',
            at: new Date(),
            source: 'relay',
          });
        }
      });
    } catch (err) {
      this.deps.logger.warn(`${this.call.id}: could not mark in-progress: ${(err as Error).message}`);
    }
  }

  /** Earlier calls (read here) and texts (messaging), each within the 400 ms cap; never throws. */
  private async loadHistory(): Promise<CallerHistory> {
    const q = {
      account_id: this.call.accountId,
      our_number: this.call.ourNumber,
      other_party: this.call.otherParty,
      exclude_id: this.call.id,
    };
    const calls = withCap(
      this.deps.localHistory.calls(q).catch((err: Error) => {
        this.deps.logger.warn(`${this.call.id}: earlier calls unavailable: ${err.message}`);
        return [];
      }),
      CALLER_HISTORY_TIMEOUT_MS,
      [],
    );
    const [c, texts] = await Promise.all([calls, this.deps.historyClient.texts(q)]);
    return { calls: c, texts };
  }

  // ------------------------------------------------------------------ caller

  /** Any sign of the caller: the silence clock starts again. */
  private callerActive(): void {
    clearTimeout(this.repromptTimer);
    clearTimeout(this.hangupTimer);
    this.repromptTimer = this.hangupTimer = undefined;
  }

  private callerSaid(text: string): void {
    if (this.ending || this.closed) return;
    this.callerActive();
    // A new prompt while the agent is still answering the last: what was sent stands as heard.
    this.cutInFlight(null);
    this.turns.push({ from: 'caller', text });
    this.placeNotes();
    this.persist('caller', text, false);
    void this.respond();
  }

  /**
   * The caller spoke over the agent: stop generating at once, then keep only
   * what was heard. When the agent's turn was already complete (Twilio was
   * still speaking it), that turn is corrected to what was heard.
   */
  private onInterrupt(heard: string): void {
    if (this.closed) return;
    this.callerActive();
    if (this.cutInFlight(heard)) return;
    const last = this.turns[this.turns.length - 1];
    if (!last || last.from !== 'agent') return;
    if (heard.trim() === '') this.turns.pop();
    else this.turns[this.turns.length - 1] = { from: 'agent', text: heard };
    this.chain(() => this.deps.calls.reviseLastAgentTurn(this.call.id, heard));
    if (!this.ending) this.armSilence();
  }

  /**
   * Stops the agent's turn in flight, recording it as interrupted with `heard`
   * (or, when null, everything sent). False when no turn was in flight.
   */
  private cutInFlight(heard: string | null): boolean {
    const turn = this.inFlight;
    if (!turn) return false;
    this.inFlight = null;
    clearTimeout(turn.timer);
    turn.abort.abort();
    const text = heard ?? turn.sent;
    if (text.trim() !== '') {
      this.turns.push({ from: 'agent', text });
      this.persist('agent', text, true, turn.tally);
    }
    return true;
  }

  // ------------------------------------------------------------------ agent

  /**
   * Streams the agent's answer to the conversation so far, token by token, to
   * the caller. The model may use tools: while they run the caller hears a
   * filler (unless the model already spoke in that round) and the stall clock
   * is paused. Its words pass through the turn's tag filter: a closed
   * `[SEND_SMS: …]` is texted at once and never spoken.
   */
  private async respond(): Promise<void> {
    const started = performance.now();
    const turn: InFlight = {
      abort: new AbortController(),
      sent: '',
      gotToken: false,
      timedOut: false,
      lastTokenAt: 0,
      tally: new UsageTally(),
    };
    this.inFlight = turn;
    if (!this.deps.generator.configured) {
      return this.fail(turn, 'llm_failed', 'No LLM is configured (LLM_BASE_URL is not set)');
    }
    const budget = await this.budget;
    if (this.inFlight !== turn) return;
    if (budget?.exhausted) return this.endForBudget(budget);
    // Only the first prompt can find the history still loading; it waits at most the cap.
    const history = this.history ?? (this.historyReady ? await this.historyReady : undefined);
    if (this.inFlight !== turn) return;
    if (this.pendingTags.size > 0) {
      // The previous turn's texts are usually settled by now; if not, the model waits a moment for their outcome.
      await withCap(
        Promise.all(this.pendingTags).then(noop),
        this.deps.settings.actionOutcomeWaitMs,
        undefined,
      );
      if (this.inFlight !== turn) return;
    }
    // Always: a text that settled while this turn awaited the budget or the history left its note
    // behind, with nothing pending any more to say so.
    this.placeNotes();
    const acts = this.turnActions();
    const filter = new ActionTagFilter();
    let tagged = false;
    /** Whether the model said anything since its last tool results (then it needs no filler). */
    let spokeThisRound = false;
    /** The last words the caller heard were a filler (a second round of tools needs no other). */
    let fillerLast = false;
    /** The next words follow a tool round: they need a space after what was said before it. */
    let afterPause = false;
    this.watchStall(turn);
    try {
      const steps = this.deps.generator.streamWithTools({
        number: agentNumberFor(this.call, this.number),
        channel: 'voice',
        turns: this.turns,
        callerHistory: history,
        signal: turn.abort.signal,
        onUsage: turn.tally.add,
        tools: acts.tools,
        actions: acts.actions,
      });
      for await (const step of steps) {
        if (this.inFlight !== turn) break;
        if (step.type === 'text') {
          if (!turn.gotToken) voiceTurnFirstToken.observe(secondsSince(started));
          turn.gotToken = true;
          turn.lastTokenAt = performance.now();
          const chunk = filter.push(step.text);
          for (const text of chunk.sms) {
            tagged = true;
            const noted = acts.tag(text);
            this.pendingTags.add(noted);
            void noted.finally(() => this.pendingTags.delete(noted));
          }
          if (chunk.text !== '') {
            this.sayToken(turn, chunk.text, afterPause);
            afterPause = false;
            if (chunk.text.trim() !== '') {
              spokeThisRound = true;
              fillerLast = false;
            }
          }
        } else if (step.type === 'tools') {
          filter.end(); // this round's words are over: a tag it left open is dropped
          // The tools' time is bounded by the tool loop; the stall clock waits for them.
          clearTimeout(turn.timer);
          if (!spokeThisRound && !fillerLast) {
            this.sayToken(turn, fillerFor(step.calls), true);
            fillerLast = true;
          }
          afterPause = true;
        } else {
          spokeThisRound = false;
          this.watchStall(turn);
        }
      }
    } catch (err) {
      clearTimeout(turn.timer);
      if (this.inFlight !== turn) return; // cut by the caller or the socket: nothing more to say
      if (turn.timedOut) return this.failTimedOut(turn);
      // The provider's text is logged; the call record (tenant-visible) gets our wording.
      this.deps.logger.warn(`${this.call.id}: LLM failed: ${(err as Error).message.slice(0, 300)}`);
      return this.fail(turn, 'llm_failed', llmFailureText(err));
    }
    clearTimeout(turn.timer);
    filter.end(); // an unclosed tag is dropped, never spoken
    if (this.inFlight !== turn) return;
    // An abort once the stream has started can end the iteration quietly instead of throwing.
    if (turn.timedOut) return this.failTimedOut(turn);
    // A turn that only texted still tells the caller so.
    if (turn.sent.trim() === '' && tagged) this.sayToken(turn, SENT_BY_TEXT);
    if (turn.sent.trim() === '') return this.fail(turn, 'llm_failed', 'The LLM sent an empty reply');
    this.inFlight = null;
    this.send({ type: 'text', token: '', last: true });
    this.turns.push({ from: 'agent', text: turn.sent });
    this.persist('agent', turn.sent, false, turn.tally);
    this.checkBudget(false);
    this.armSilence();
  }

  /**
   * Asks where the account stands once the turns so far are stored (their
   * tokens counted). At setup, a budget already used up ends the call at
   * once, after the greeting; later, the next turn finds it.
   */
  private checkBudget(atSetup: boolean): void {
    this.budget = this.persisting.then(() => this.deps.usage.budget(this.call));
    if (atSetup) {
      void this.budget.then((b) => {
        if (b?.exhausted && !this.inFlight) void this.endForBudget(b);
      });
    }
  }

  /** The account's monthly token budget is used up: the caller hears an apology, the call ends with the reason. */
  private async endForBudget(b: BudgetState): Promise<void> {
    if (this.ending || this.closed) return;
    const turn = this.inFlight;
    this.inFlight = null;
    if (turn) clearTimeout(turn.timer);
    this.deps.logger.warn(`${this.call.id}: token budget for ${b.month} used up (${b.used}/${b.budget})`);
    await this.endWith(
      'token_budget_exhausted',
      BUDGET_APOLOGY,
      '',
      {
        code: 'token_budget_exhausted',
        message: `The account's LLM token budget for ${b.month} (${b.budget} tokens) is used up`,
      },
      'token_budget_exhausted',
      (m) => this.deps.usage.announceExhausted(m, this.call, b),
    );
  }

  /**
   * Notes that arrived (outcomes of tagged texts) go into the conversation
   * before the caller's latest words, so the model reads them in order. They
   * are for the model only: never stored as the call's turns.
   */
  private placeNotes(): void {
    if (this.notes.length === 0) return;
    const notes = this.notes.splice(0).map((text): AgentTurn => ({ from: 'note', text }));
    const last = this.turns.length - 1;
    const at = last >= 0 && this.turns[last].from === 'caller' ? last : this.turns.length;
    this.turns.splice(at, 0, ...notes);
  }

  /** What the agent may do in the turn about to start (its index among the agent's turns keys its tags). */
  private turnActions(): TurnActions {
    const index = this.turns.filter((t) => t.from === 'agent').length;
    const calendar = this.deps.calendar(this.call, this.number);
    return new TurnActions(
      this.deps.sms,
      this.call,
      index,
      { sms: true, calendar: calendar ? { timeZone: calendar.timeZone, now: new Date() } : undefined },
      calendar?.tools ?? [],
      (note) => {
        if (!this.closed) this.notes.push(note);
      },
    );
  }

  /**
   * Words of the agent's turn in flight, sent to the caller and kept as said.
   * Words after a pause (a filler, a tool round) are set apart from what came
   * before by a space when neither has one.
   */
  private sayToken(turn: InFlight, text: string, afterPause = false): void {
    const apart = afterPause && turn.sent !== '' && !/\s$/.test(turn.sent) && !/^\s/.test(text);
    const token = apart ? ` ${text}` : text;
    turn.sent += token;
    this.send({ type: 'text', token, last: false });
  }

  /**
   * No token for VOICE_FIRST_TOKEN_TIMEOUT_MS (before the first, or between
   * two) aborts the stream. One timer per turn, re-armed only when it fires:
   * a token costs a timestamp, not a timer.
   */
  private watchStall(turn: InFlight): void {
    const limit = this.deps.settings.firstTokenTimeoutMs;
    turn.lastTokenAt = performance.now();
    const check = () => {
      const idle = performance.now() - turn.lastTokenAt;
      if (idle < limit) {
        turn.timer = setTimeout(check, limit - idle);
        return;
      }
      turn.timedOut = true;
      turn.abort.abort();
    };
    turn.timer = setTimeout(check, limit);
  }

  private failTimedOut(turn: InFlight): Promise<void> {
    const limit = this.deps.settings.firstTokenTimeoutMs;
    const why = turn.gotToken
      ? `The LLM stream stalled for ${limit} ms`
      : `No first token within ${limit} ms`;
    return this.fail(turn, 'llm_timeout', why);
  }

  /**
   * The agent cannot answer: the caller hears an apology (after whatever was
   * already said), the call record says why, and the session ends.
   */
  private async fail(turn: InFlight, code: 'llm_failed' | 'llm_timeout', message: string): Promise<void> {
    if (this.inFlight === turn) this.inFlight = null;
    clearTimeout(turn.timer);
    turn.abort.abort();
    this.deps.logger.warn(`${this.call.id}: ${code}: ${message.slice(0, 300)}`);
    await this.endWith('llm_failed', LLM_APOLOGY, turn.sent, { code, message });
  }

  /** Ends the call with a goodbye (silence, maximum duration, shutdown). */
  async endPolitely(reason: CallEndReason, words: string, handoffReason: string = reason): Promise<void> {
    if (this.ending || this.closed) return;
    const turn = this.inFlight;
    this.inFlight = null;
    if (turn) {
      clearTimeout(turn.timer);
      turn.abort.abort();
    }
    await this.endWith(reason, words, turn?.sent ?? '', undefined, handoffReason);
  }

  private async endWith(
    reason: CallEndReason,
    words: string,
    alreadySaid: string,
    error?: { code: string; message: string },
    handoffReason: string = reason,
    announce?: (m: EntityManager) => Promise<void>,
  ): Promise<void> {
    if (this.ending) return;
    this.ending = true;
    this.clearTimers();
    // After words already streamed, the goodbye follows them as one utterance.
    const follow = alreadySaid.trim() === '' ? words : /\s$/.test(alreadySaid) ? words : ` ${words}`;
    const spoken = alreadySaid.trim() === '' ? words : alreadySaid + follow;
    this.speak(follow);
    this.turns.push({ from: 'agent', text: spoken });
    this.persist('agent', spoken, false);
    // The reason is on the record before Twilio reports the session's end.
    await this.noteEnding(reason, error, announce);
    this.send({ type: 'end', handoffData: JSON.stringify({ reason: handoffReason }) });
  }

  private async noteEnding(
    reason: CallEndReason,
    error?: { code: string; message: string },
    announce?: (m: EntityManager) => Promise<void>,
  ): Promise<void> {
    try {
      await this.deps.calls.transaction(async (m) => {
        const call = await this.deps.calls.lock(m, this.call.id);
        if (call) await this.deps.lifecycle.noteEnding(m, call, reason, error);
        if (announce) await announce(m);
      });
      if (announce) this.deps.usage.flush();
    } catch (err) {
      this.deps.logger.warn(`${this.call.id}: could not record ${reason}: ${(err as Error).message}`);
    }
  }

  // ------------------------------------------------------------------ silence

  /** After the agent finished: re-prompt after silenceRepromptMs, then end after silenceHangupMs more. */
  private armSilence(): void {
    this.callerActive();
    if (this.ending || this.closed) return;
    this.repromptTimer = setTimeout(() => this.reprompt(), this.deps.settings.silenceRepromptMs);
  }

  private reprompt(): void {
    this.repromptTimer = undefined;
    if (this.ending || this.closed || this.inFlight) return;
    this.speak(SILENCE_REPROMPT);
    this.turns.push({ from: 'agent', text: SILENCE_REPROMPT });
    this.persist('agent', SILENCE_REPROMPT, false);
    this.hangupTimer = setTimeout(
      () => void this.endPolitely('silence', SILENCE_GOODBYE),
      this.deps.settings.silenceHangupMs,
    );
  }

  // ------------------------------------------------------------------ plumbing

  /** Words the engine says itself, as text tokens (a word each), ending the turn. */
  private speak(words: string): void {
    for (const token of words.match(/\s*\S+/g) ?? []) this.send({ type: 'text', token, last: false });
    this.send({ type: 'text', token: '', last: true });
  }

  private send(frame: RelayOutbound): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeOutbound(frame));
  }

  private persist(role: 'caller' | 'agent', text: string, interrupted: boolean, tally?: UsageTally): void {
    const at = new Date();
    const turn = { callId: this.call.id, role, text, interrupted, at };
    this.chain(async () => {
      if (tally) await this.deps.usage.appendTurn(this.call, turn, tally);
      else await this.deps.calls.appendTurn(turn);
    });
  }

  private chain(write: () => Promise<void>): void {
    this.persisting = this.persisting.then(write).catch((err: Error) => {
      this.deps.logger.warn(`${this.call.id}: a turn was not stored: ${err.message}`);
    });
  }

  /** Resolves when every turn so far is stored (shutdown; a replacing session writes after it). */
  flushed(): Promise<void> {
    return this.persisting;
  }

  private clearTimers(): void {
    this.callerActive();
    clearTimeout(this.maxTimer);
    this.maxTimer = undefined;
  }

  /**
   * The socket closed (caller hung up, Twilio closed it, the network dropped,
   * or the session was replaced): the turn in flight stops (what was sent is
   * kept as heard), timers stop, the registry forgets the session. The call's
   * final status comes from Twilio.
   */
  private onClose(): void {
    if (this.closed) return;
    this.cutInFlight(null);
    this.closed = true;
    this.clearTimers();
    this.deps.onGone(this);
  }

  /** Closes the socket (replacement by a newer session, shutdown). */
  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code, reason);
    }
  }

  /** Kills the socket at once (shutdown after the grace period). */
  terminate(): void {
    this.ws.terminate();
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** `work`, or `fallback` when it takes longer than `ms`. */
function withCap<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([work, cap]).finally(() => clearTimeout(timer));
}

function noop(): void {}
