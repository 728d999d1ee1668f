import { Injectable } from '@nestjs/common';
import { AppError, CancelSmsCommand, Outbox, SmsDetailDto } from '@nixflex/common';
import { MessagesRepository } from '../data';
import { SmsQueryService } from '../queries/sms-query.service';
import { StatusMachine } from '../status/status-machine';

/**
 * `POST /v1/sms/{id}/cancel`: a `scheduled` message becomes `canceled` (with
 * its history row and status events, by the status machine) under its row
 * lock, which the release poller skips; once released it is Twilio's and
 * cannot be called back.
 */
@Injectable()
export class SmsCancelService {
  constructor(
    private readonly repo: MessagesRepository,
    private readonly machine: StatusMachine,
    private readonly outbox: Outbox,
    private readonly query: SmsQueryService,
  ) {}

  async cancel(cmd: CancelSmsCommand): Promise<SmsDetailDto> {
    await this.repo.transaction(async (m) => {
      const msg = await this.repo.lockMessage(m, cmd.id);
      if (!msg || msg.accountId !== cmd.account_id || msg.direction !== 'outbound') {
        throw new AppError('message_not_found', `No message ${cmd.id} in this account`);
      }
      if (msg.status !== 'scheduled') {
        throw new AppError(
          'sms_not_cancelable',
          `Message ${msg.id} is ${msg.status}: already handed to Twilio; it cannot be unsent`,
          { status: msg.status },
        );
      }
      await this.machine.apply(m, msg, { status: 'canceled', at: new Date(), source: 'api' });
    });
    this.outbox.kick();
    return this.query.get({ account_id: cmd.account_id, id: cmd.id });
  }
}
