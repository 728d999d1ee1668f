import { Injectable, Logger } from '@nestjs/common';
import { BrokerClient, ResolvedNumber, config, watchActiveCalls } from '@nixflex/common';
import { AgentReplyGenerator } from '@nixflex/common/agent';
import { calendarTools } from '@nixflex/common/calendar-tools';
import { CallerHistoryClient } from '@nixflex/common/history';
import WebSocket from 'ws';
import { CallSms } from '../actions/call-sms';
import type { Call } from '../data/call.entities';
import { CallsRepository } from '../data/calls.repository';
import { CallerHistoryService } from '../history/caller-history.service';
import { CallLifecycle } from '../status/call-lifecycle';
import { CallUsage } from '../usage/call-usage';
import { RelaySession, RelaySessionDeps, SHUTDOWN_GOODBYE } from './relay-session';

/**
 * How long a calendar tool waits for numbers: a booking can ask Cal.com twice
 * (the booking, then free slots near a taken one), each within
 * CALCOM_TIMEOUT_MS. The turn's tool time (AGENT_TOOL_MAX_MS) bounds it too.
 */
const CALENDAR_RPC_TIMEOUT_MS = () => 2 * config().calcom.timeoutMs + 1000;

/** How long live calls get, at shutdown, to hear the goodbye before their sockets are cut. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * The live relay sessions of this process, one per call. A second socket for
 * a call that has a session replaces it (Twilio reconnected after a network
 * blip; both are signed by Twilio): the new session carries the conversation
 * on and the old socket is closed.
 */
@Injectable()
export class RelaySessions {
  private readonly logger = new Logger('Relay');
  private readonly live = new Map<string, RelaySession>();
  private readonly deps: RelaySessionDeps;

  constructor(
    calls: CallsRepository,
    lifecycle: CallLifecycle,
    generator: AgentReplyGenerator,
    historyClient: CallerHistoryClient,
    localHistory: CallerHistoryService,
    broker: BrokerClient,
    usage: CallUsage,
  ) {
    this.deps = {
      calls,
      usage,
      lifecycle,
      generator,
      historyClient,
      localHistory,
      settings: config().voice,
      sms: new CallSms(broker),
      calendar: (call, number) => {
        if (!number.calendar) return null;
        const timeZone = number.calendar.time_zone;
        const ctx = {
          account_id: call.accountId,
          phone_number: call.ourNumber,
          contact: call.otherParty,
          time_zone: timeZone,
          source: { call_id: call.id },
          keyPrefix: call.id,
        };
        return { tools: calendarTools(broker, ctx, { timeoutMs: CALENDAR_RPC_TIMEOUT_MS() }), timeZone };
      },
      logger: this.logger,
      onGone: (s) => {
        if (this.live.get(s.call.id) === s) this.live.delete(s.call.id);
      },
    };
    watchActiveCalls(() => this.live.size);
  }

  open(ws: WebSocket, call: Call, number: ResolvedNumber): RelaySession {
    const previous = this.live.get(call.id);
    const session = new RelaySession(
      ws,
      call,
      number,
      this.deps,
      previous ? { turns: previous.conversation, flushed: previous.flushed() } : undefined,
    );
    this.live.set(call.id, session);
    if (previous) {
      this.logger.warn(`${call.id}: a new relay socket replaces the live one`);
      previous.close(1000, 'replaced by a newer session');
    }
    return session;
  }

  has(callId: string): boolean {
    return this.live.has(callId);
  }

  get size(): number {
    return this.live.size;
  }

  /** Shutdown: every live call hears a goodbye and ends, then any socket still open is cut. */
  async endAll(): Promise<void> {
    const sessions = [...this.live.values()];
    if (sessions.length === 0) return;
    this.logger.log(`ending ${sessions.length} live call(s) for shutdown`);
    await Promise.all(sessions.map((s) => s.endPolitely('agent_ended', SHUTDOWN_GOODBYE, 'shutdown')));
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (this.live.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const s of this.live.values()) s.terminate();
    await Promise.all(sessions.map((s) => s.flushed()));
  }
}
