import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import {
  ListOptOutsCommand,
  MessagingCommands,
  OptOutDto,
  SmsInboundReceivedEvent,
  TwilioWebhookEvents,
  toE164,
} from '@nixflex/common';
import { OptOutsRepository } from '../opt-outs/opt-outs.repository';
import { InboundService } from './inbound.service';

@Controller()
export class InboundHandler {
  constructor(
    private readonly inbound: InboundService,
    private readonly optOuts: OptOutsRepository,
  ) {}

  /** Resolves after the message is stored and its reply (if any) is sent or recorded as failed. */
  @EventPattern(TwilioWebhookEvents.smsInboundReceived)
  async onInbound(@Payload() event: SmsInboundReceivedEvent): Promise<void> {
    await this.inbound.handle(event);
  }

  @MessagePattern(MessagingCommands.optOutsList)
  async listOptOuts(@Payload() cmd: ListOptOutsCommand): Promise<{ data: OptOutDto[] }> {
    const number = cmd.phone_number ? (toE164(cmd.phone_number) ?? cmd.phone_number) : null;
    const rows = await this.optOuts.list(cmd.account_id, number, 1000);
    return {
      data: rows.map((r) => ({
        phone_number: r.ourNumber,
        recipient: r.recipient,
        opted_out_at: r.optedOutAt.toISOString(),
        source: r.source,
        keyword: r.keyword,
      })),
    };
  }
}
