import { Injectable } from '@nestjs/common';
import { Outbox, SmsStatusReceivedEvent, claimInbox } from '@nixflex/common';
import { fromTwilioStatus } from '@nixflex/common/sms';
import { SmsRepository } from './sms.repository';
import { StatusMachine } from './status-machine';

/**
 * Applies one verified Twilio status callback. Every callback is recorded;
 * one whose SID is not stored yet (it raced ahead of the sender's commit) is
 * parked and applied by the sender when it stores the SID: both sides take
 * the same per-SID lock, so neither can miss the other.
 */
@Injectable()
export class StatusIngestService {
  constructor(
    private readonly repo: SmsRepository,
    private readonly machine: StatusMachine,
    private readonly outbox: Outbox,
  ) {}

  async ingest(event: SmsStatusReceivedEvent, eventId: string): Promise<string> {
    const outcome = await this.repo.ds.transaction(async (m) => {
      if (!(await claimInbox(m, 'messaging', eventId, 'sms.status-received'))) return 'duplicate_event';
      await this.repo.lockSid(m, event.message_sid);
      const receivedAt = parseDate(event.received_at);
      const callbackId = await this.repo.insertCallback(m, {
        twilioSid: event.message_sid,
        status: event.message_status,
        errorCode: event.error_code || null,
        receivedAt,
      });
      const msg = await this.repo.lockMessageBySid(m, event.message_sid);
      if (!msg) return 'parked';
      let result: string;
      const status = fromTwilioStatus(event.message_status);
      if (!status) result = 'unknown_status';
      else if (msg.twilioAccountSid !== null && msg.twilioAccountSid !== event.account_sid)
        result = 'account_mismatch';
      else {
        const applied = await this.machine.apply(m, msg, {
          status,
          errorCode: event.error_code || null,
          at: receivedAt,
          source: 'twilio_callback',
        });
        result = applied ? 'applied' : 'ignored';
      }
      await this.repo.markCallback(m, callbackId, result);
      return result;
    });
    this.outbox.kick();
    return outcome;
  }
}

function parseDate(iso: string): Date {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? new Date() : d;
}
