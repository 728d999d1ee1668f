import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  ListOptOutsCommand,
  MessagingCommands,
  OptOutDto,
  SmsInboundReceivedEvent,
  WebhooksEvents,
  toE164,
} from '@nixflex/common';
import { DataSource } from 'typeorm';
import { InboundService } from './inbound.service';

@Controller()
export class InboundHandler {
  constructor(
    private readonly inbound: InboundService,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  /** Resolves after the message is stored and its reply (if any) is sent or recorded as failed. */
  @EventPattern(WebhooksEvents.smsInboundReceived)
  async onInbound(@Payload() event: SmsInboundReceivedEvent): Promise<void> {
    await this.inbound.handle(event);
  }

  @MessagePattern(MessagingCommands.optOutsList)
  async listOptOuts(@Payload() cmd: ListOptOutsCommand): Promise<{ data: OptOutDto[] }> {
    const number = cmd.phone_number ? (toE164(cmd.phone_number) ?? cmd.phone_number) : null;
    const rows: Array<{
      our_number: string;
      recipient: string;
      opted_out_at: Date;
      source: OptOutDto['source'];
      keyword: string | null;
    }> = await this.ds.query(
      `SELECT "our_number", "recipient", "opted_out_at", "source", "keyword" FROM "messaging"."opt_outs"
        WHERE "account_id" = $1 AND ($2::text IS NULL OR "our_number" = $2)
        ORDER BY "opted_out_at" DESC LIMIT 1000`,
      [cmd.account_id, number],
    );
    return {
      data: rows.map((r) => ({
        phone_number: r.our_number,
        recipient: r.recipient,
        opted_out_at: new Date(r.opted_out_at).toISOString(),
        source: r.source,
        keyword: r.keyword,
      })),
    };
  }
}
