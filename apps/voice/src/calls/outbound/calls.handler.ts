import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import {
  CallAcceptedDto,
  CallDetailDto,
  CallDialEvent,
  CallDto,
  CreateCallCommand,
  GetCallCommand,
  ListCallsCommand,
  Page,
  VoiceCommands,
  VoiceEvents,
} from '@nixflex/common';
import { CallQueryService } from '../queries/call-query.service';
import { CallAcceptService } from './call-accept.service';
import { Dialler } from './dialler';

/** The calls API's commands (`calls.create/list/get`) and the dialler's wake-up event. */
@Controller()
export class CallsHandler {
  constructor(
    private readonly accept: CallAcceptService,
    private readonly query: CallQueryService,
    private readonly dialler: Dialler,
  ) {}

  @MessagePattern(VoiceCommands.callsCreate)
  create(@Payload() cmd: CreateCallCommand): Promise<CallAcceptedDto> {
    return this.accept.accept(cmd);
  }

  @MessagePattern(VoiceCommands.callsList)
  list(@Payload() cmd: ListCallsCommand): Promise<Page<CallDto>> {
    return this.query.list(cmd);
  }

  @MessagePattern(VoiceCommands.callsGet)
  get(@Payload() cmd: GetCallCommand): Promise<CallDetailDto> {
    return this.query.get(cmd);
  }

  /** Resolves only after the attempt's outcome is stored (SID, release or failure): the ack means "done". */
  @EventPattern(VoiceEvents.callDial)
  async onDial(@Payload() event: CallDialEvent): Promise<void> {
    if (typeof event?.call_id === 'string') await this.dialler.dial(event.call_id);
  }
}
