import { Injectable } from '@nestjs/common';
import { Outbox, SmsStatusReceivedEvent } from '@nixflex/common';
import { MessagesRepository, StatusCallbacksRepository } from '../data';
import { StatusMachine } from './status-machine';
import { CallbackOutcome, IngestOutcome, decideCallback, fromTwilioStatus } from './status-rules';

/** The inbox name both paths claim a callback's event under, so a redelivery is dropped by either. */
const INBOX_HANDLER = 'sms.status-received';

/**
 * Applies one verified Twilio status callback. Every callback is recorded.
 * The common case, a SID some message owns, is one statement
 * (StatusMachine.applyCallback). One whose SID is not stored yet (it raced
 * ahead of the sender's commit) is parked and applied by the sender when it
 * stores the SID: both sides take the same per-SID lock, so neither can miss
 * the other. Both paths decide with the status module (`decideCallback`).
 */
@Injectable()
export class StatusIngestService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly callbacks: StatusCallbacksRepository,
    private readonly machine: StatusMachine,
    private readonly outbox: Outbox,
  ) {}

  async ingest(event: SmsStatusReceivedEvent, eventId: string): Promise<IngestOutcome> {
    const receivedAt = parseDate(event.received_at);
    if (eventId) {
      const applied = await this.machine.applyCallback(eventId, INBOX_HANDLER, {
        sid: event.message_sid,
        rawStatus: event.message_status,
        errorCode: event.error_code || null,
        accountSid: event.account_sid,
        at: receivedAt,
      });
      if (applied !== undefined) {
        this.outbox.kick();
        return applied;
      }
    }
    // No message owns the SID yet, or no event id to de-duplicate on.
    const outcome = await this.messages.transaction(async (m): Promise<IngestOutcome> => {
      if (!(await this.callbacks.claimEventAndLockSid(m, eventId, INBOX_HANDLER, event.message_sid))) {
        return 'duplicate_event';
      }
      const msg = await this.messages.lockMessageBySid(m, event.message_sid);
      let result: CallbackOutcome | null = null;
      if (msg) {
        const status = fromTwilioStatus(event.message_status);
        const accountMatches = msg.twilioAccountSid === null || msg.twilioAccountSid === event.account_sid;
        result = decideCallback({ status: msg.status, accountMatches }, status);
        if (result === 'applied' && status) {
          await this.machine.apply(m, msg, {
            status,
            errorCode: event.error_code || null,
            at: receivedAt,
            source: 'twilio_callback',
          });
        }
      }
      // No message owns the SID yet (the callback overtook the send): parked
      // without an outcome; storing the SID applies it under the same lock.
      await this.callbacks.insert(m, {
        twilioSid: event.message_sid,
        status: event.message_status,
        errorCode: event.error_code || null,
        receivedAt,
        outcome: result,
      });
      return result ?? 'parked';
    });
    this.outbox.kick();
    return outcome;
  }
}

function parseDate(iso: string): Date {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? new Date() : d;
}
