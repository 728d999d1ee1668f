import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import {
  AmqpContext,
  CancelSmsCommand,
  GetSmsCommand,
  ListSmsCommand,
  MessagingCommands,
  MessagingEvents,
  Page,
  SendCallSmsCommand,
  SendSmsCommand,
  SmsAcceptedDto,
  SmsDetailDto,
  SmsDispatchEvent,
  SmsDto,
  SmsStatusReceivedEvent,
  TwilioWebhookEvents,
} from '@nixflex/common';
import { SmsSendService } from './accept/send.service';
import { SmsDispatcher } from './dispatch/dispatcher';
import { SmsQueryService } from './queries/sms-query.service';
import { SmsCancelService } from './schedule/cancel.service';
import { StatusIngestService } from './status/status-ingest.service';

@Controller()
export class SmsHandler {
  constructor(
    private readonly sender: SmsSendService,
    private readonly query: SmsQueryService,
    private readonly dispatcher: SmsDispatcher,
    private readonly statuses: StatusIngestService,
    private readonly canceler: SmsCancelService,
  ) {}

  @MessagePattern(MessagingCommands.smsCancel)
  cancel(@Payload() cmd: CancelSmsCommand): Promise<SmsDetailDto> {
    return this.canceler.cancel(cmd);
  }

  @MessagePattern(MessagingCommands.smsSend)
  send(@Payload() cmd: SendSmsCommand): Promise<SmsAcceptedDto> {
    return this.sender.accept(cmd);
  }

  @MessagePattern(MessagingCommands.callSmsSend)
  sendForCall(@Payload() cmd: SendCallSmsCommand): Promise<SmsAcceptedDto> {
    return this.sender.acceptCall(cmd);
  }

  @MessagePattern(MessagingCommands.smsGet)
  get(@Payload() cmd: GetSmsCommand): Promise<SmsDetailDto> {
    return this.query.get(cmd);
  }

  @MessagePattern(MessagingCommands.smsList)
  list(@Payload() cmd: ListSmsCommand): Promise<Page<SmsDto>> {
    return this.query.list(cmd);
  }

  /** Resolves only after the SID is stored (or the attempt's outcome is): the ack means "done". */
  @EventPattern(MessagingEvents.smsDispatch)
  async onDispatch(@Payload() event: SmsDispatchEvent): Promise<void> {
    if (typeof event?.message_id === 'string') await this.dispatcher.dispatch(event.message_id);
  }

  @EventPattern(TwilioWebhookEvents.smsStatusReceived)
  async onStatus(@Payload() event: SmsStatusReceivedEvent, @Ctx() ctx: AmqpContext): Promise<void> {
    await this.statuses.ingest(event, ctx.messageId);
  }
}
