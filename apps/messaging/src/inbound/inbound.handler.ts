import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import {
  CallerHistoryQuery,
  ListOptOutsCommand,
  MessagingCommands,
  OptOutDto,
  SmsInboundReceivedEvent,
  TextHistoryEntry,
  TwilioWebhookEvents,
  toE164,
} from '@nixflex/common';
import { OptOutsRepository } from '../opt-outs/opt-outs.repository';
import { InboundService } from './inbound.service';
import { TextHistoryService } from './text-history.service';

@Controller()
export class InboundHandler {
  constructor(
    private readonly inbound: InboundService,
    private readonly optOuts: OptOutsRepository,
    private readonly history: TextHistoryService,
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

  /** The texts with a caller, for a call's prompt (asked with a short timeout: keep it one query). */
  @MessagePattern(MessagingCommands.callerHistory)
  async callerHistory(@Payload() q: CallerHistoryQuery): Promise<{ texts: TextHistoryEntry[] }> {
    return { texts: await this.history.texts(q) };
  }
}
