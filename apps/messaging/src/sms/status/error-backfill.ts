import { Injectable, Logger } from '@nestjs/common';
import { CustomerEvents, Outbox } from '@nixflex/common';
import { twilioErrorMeaning } from '@nixflex/common/sms';
import { NumberResolver } from '@nixflex/common/numbers';
import { MessagesRepository, SmsMessage } from '../data';
import { TwilioSender } from '../dispatch/twilio-sender';
import { smsStatusCustomerEvent } from './status-customer-event';

const MAX_ATTEMPTS = 5;
const BATCH = 20;

/**
 * A failure status reached us without its ErrorCode: Twilio sends the code
 * with the callback of the failure, but a callback can be sent before the
 * message's own status caught up. Asks Twilio for the message (a few times,
 * backing off) and stores the code, on the message and on its history row,
 * and tells the customer the code with a second `sms.status_updated` (the
 * first one went out without it).
 */
@Injectable()
export class ErrorCodeBackfill {
  private readonly logger = new Logger('ErrorCodeBackfill');

  constructor(
    private readonly repo: MessagesRepository,
    private readonly numbers: NumberResolver,
    private readonly twilio: TwilioSender,
    private readonly outbox: Outbox,
  ) {}

  async run(): Promise<void> {
    for (const msg of await this.repo.dueErrorFetches(BATCH)) {
      let code: string | null = null;
      let message: string | null = null;
      try {
        const number = await this.numbers.resolve(msg.fromNumber);
        const fetched = await this.twilio.fetch(number, msg.twilioSid as string);
        if (fetched.errorCode !== null) {
          code = String(fetched.errorCode);
          message = twilioErrorMeaning(code);
        }
      } catch (err) {
        this.logger.warn(`${msg.id}: could not fetch ${msg.twilioSid}: ${(err as Error).message}`);
      }
      await this.record(msg, code, message);
    }
  }

  private async record(msg: SmsMessage, code: string | null, meaning: string | null): Promise<void> {
    await this.repo.transaction(async (m) => {
      const row = await this.repo.lockMessage(m, msg.id);
      if (!row || row.errorFetchAfter === null) return;
      if (row.errorCode !== null || code !== null) {
        if (row.errorCode === null && code !== null) {
          await this.repo.updateMessage(m, row.id, {
            errorCode: code,
            errorMessage: meaning,
            errorFetchAfter: null,
          });
          await this.repo.setHistoryErrorCode(m, row.id, row.status, code);
          const event = smsStatusCustomerEvent(
            { ...row, errorCode: code },
            row.status,
            'error_code',
            new Date(),
          );
          if (event) await this.outbox.add(m, CustomerEvents.emit, event);
        } else {
          await this.repo.updateMessage(m, row.id, { errorFetchAfter: null });
        }
        return;
      }
      const attempts = row.errorFetchAttempts + 1;
      await this.repo.updateMessage(m, row.id, {
        errorFetchAttempts: attempts,
        errorFetchAfter: attempts >= MAX_ATTEMPTS ? null : new Date(Date.now() + 1000 * 2 ** attempts),
      });
    });
    this.outbox.kick();
  }
}
