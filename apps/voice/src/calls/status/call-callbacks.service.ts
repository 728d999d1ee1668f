import { Injectable, Logger } from '@nestjs/common';
import { CallRelayEndedEvent, CallStatusReceivedEvent, Outbox, claimInbox } from '@nixflex/common';
import { EntityManager } from 'typeorm';
import { Call } from '../data/call.entities';
import { CallsRepository } from '../data/calls.repository';
import { CallLifecycle } from './call-lifecycle';
import { fromTwilioCallStatus } from './call-status-rules';

const STATUS_HANDLER = 'call.status-received';
const RELAY_ENDED_HANDLER = 'call.relay-ended';

/**
 * Twilio's word on a call, verified by apps/webhooks: status callbacks move
 * the call forward (CallLifecycle: forward only, first final status wins, so
 * repeats and late arrivals change nothing; the inbox drops exact
 * redeliveries), and the relay's end says why the call is ending.
 */
@Injectable()
export class CallCallbacksService {
  private readonly logger = new Logger('CallCallbacks');

  constructor(
    private readonly calls: CallsRepository,
    private readonly lifecycle: CallLifecycle,
    private readonly outbox: Outbox,
  ) {}

  async onStatus(event: CallStatusReceivedEvent, messageId: string): Promise<void> {
    const status = fromTwilioCallStatus(event.call_status);
    if (!status) {
      this.logger.warn(
        `call ${event.call_sid}: ignored unknown CallStatus ${event.call_status.slice(0, 32)}`,
      );
      return;
    }
    const moved = await this.calls.transaction(async (m) => {
      if (!(await claimInbox(m, 'voice', messageId, STATUS_HANDLER))) return false;
      const call = await this.lockFor(m, event);
      if (!call) return false;
      return this.lifecycle.apply(m, call, {
        status,
        at: receivedAt(event.received_at),
        source: 'twilio_callback',
        durationS: event.call_duration ?? null,
        errorCode: event.error_code || null,
        errorMessage: event.error_code ? `Twilio error ${event.error_code}` : null,
      });
    });
    if (moved) this.outbox.kick();
  }

  /**
   * The call this callback is about, locked: by `call_id` for the calls we
   * placed (the SID is set here if the dialler has not stored it yet, and a
   * different SID is refused), else by CallSid. Null (logged) when it is not
   * ours: e.g. voice was down when the call arrived, so no record exists.
   */
  private async lockFor(m: EntityManager, event: CallStatusReceivedEvent): Promise<Call | null> {
    let call: Call | null;
    if (event.call_id) {
      call = await this.calls.lock(m, event.call_id);
      if (call && call.twilioSid === null && call.direction === 'outbound') {
        await this.calls.update(m, call.id, {
          twilioSid: event.call_sid,
          twilioAccountSid: event.account_sid,
        });
        call.twilioSid = event.call_sid;
        call.twilioAccountSid = event.account_sid;
      }
      if (call && call.twilioSid !== event.call_sid) {
        this.logger.warn(`status for ${event.call_sid} names ${event.call_id}, which is ${call.twilioSid}`);
        return null;
      }
    } else {
      call = await this.calls.lockBySid(m, event.call_sid);
    }
    if (!call) {
      this.logger.warn(`status ${event.call_status} for unknown call ${event.call_sid}: acknowledged`);
      return null;
    }
    if (call.twilioAccountSid && call.twilioAccountSid !== event.account_sid) {
      this.logger.warn(`status for ${call.id} from another Twilio account: ignored`);
      return null;
    }
    return call;
  }

  /**
   * The relay session ended: `completed` means the caller hung up, `failed`
   * that the relay failed, `ended` that we ended it (the session recorded why
   * first; otherwise the agent ended it).
   */
  async onRelayEnded(event: CallRelayEndedEvent, messageId: string): Promise<void> {
    await this.calls.transaction(async (m) => {
      if (!(await claimInbox(m, 'voice', messageId, RELAY_ENDED_HANDLER))) return;
      const call = await this.calls.lockBySid(m, event.call_sid);
      if (!call) {
        this.logger.warn(`relay ended for unknown call ${event.call_sid}: acknowledged`);
        return;
      }
      switch (event.session_status) {
        case 'completed':
          return this.lifecycle.noteEnding(m, call, 'caller_hung_up');
        case 'failed':
          return this.lifecycle.noteEnding(m, call, 'relay_error', {
            code: 'relay_failed',
            message: `ConversationRelay session failed${event.handoff_data ? `: ${event.handoff_data}` : ''}`,
          });
        case 'ended':
          return this.lifecycle.noteEnding(m, call, 'agent_ended');
        default:
          this.logger.warn(`${call.id}: relay ended with unknown SessionStatus ${event.session_status}`);
      }
    });
  }
}

function receivedAt(iso: string): Date {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? new Date() : d;
}
