import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import {
  AmqpContext,
  AnswerCallCommand,
  AnswerCallReply,
  CallHistoryEntry,
  CallRelayEndedEvent,
  CallStatusReceivedEvent,
  CallerHistoryQuery,
  VoiceCommands,
  VoiceEvents,
} from '@nixflex/common';
import { AnswerService } from './answer/answer.service';
import { CallerHistoryService } from './history/caller-history.service';
import { CallCallbacksService } from './status/call-callbacks.service';

/** Voice's side of live calls over RabbitMQ: answering, Twilio's callbacks, and the caller's earlier calls. */
@Controller()
export class CallHandlingHandler {
  constructor(
    private readonly answers: AnswerService,
    private readonly callbacks: CallCallbacksService,
    private readonly history: CallerHistoryService,
  ) {}

  @MessagePattern(VoiceCommands.callsAnswer)
  answer(@Payload() cmd: AnswerCallCommand): Promise<AnswerCallReply> {
    return this.answers.answer(cmd);
  }

  @MessagePattern(VoiceCommands.callerHistory)
  async callerHistory(@Payload() q: CallerHistoryQuery): Promise<{ calls: CallHistoryEntry[] }> {
    return { calls: await this.history.calls(q) };
  }

  @EventPattern(VoiceEvents.callStatusReceived)
  onStatus(@Payload() event: CallStatusReceivedEvent, @Ctx() ctx: AmqpContext): Promise<void> {
    return this.callbacks.onStatus(event, ctx.messageId);
  }

  @EventPattern(VoiceEvents.callRelayEnded)
  onRelayEnded(@Payload() event: CallRelayEndedEvent, @Ctx() ctx: AmqpContext): Promise<void> {
    return this.callbacks.onRelayEnded(event, ctx.messageId);
  }
}
