import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AddCampaignRecipientsCommand,
  CampaignDraft,
  CampaignDto,
  CampaignRecipientDto,
  CampaignRef,
  CampaignsCommands,
  CreateCampaignCommand,
  ListCampaignRecipientsCommand,
  ListCampaignsCommand,
  Page,
} from '@nixflex/common';
import { CampaignControlService } from './campaign-control.service';
import { CampaignIntakeService } from './campaign-intake.service';
import { CampaignQueryService } from './campaign-query.service';

@Controller()
export class CampaignsHandler {
  constructor(
    private readonly intake: CampaignIntakeService,
    private readonly query: CampaignQueryService,
    private readonly control: CampaignControlService,
  ) {}

  @MessagePattern(CampaignsCommands.create)
  create(@Payload() cmd: CreateCampaignCommand): Promise<CampaignDraft> {
    return this.intake.create(cmd);
  }

  @MessagePattern(CampaignsCommands.addRecipients)
  addRecipients(@Payload() cmd: AddCampaignRecipientsCommand): Promise<{ stored: number }> {
    return this.intake.addRecipients(cmd);
  }

  @MessagePattern(CampaignsCommands.start)
  start(@Payload() cmd: CampaignRef): Promise<CampaignDto> {
    return this.intake.start(cmd);
  }

  @MessagePattern(CampaignsCommands.discard)
  discard(@Payload() cmd: CampaignRef): Promise<{ discarded: boolean }> {
    return this.intake.discard(cmd);
  }

  @MessagePattern(CampaignsCommands.get)
  get(@Payload() cmd: CampaignRef): Promise<CampaignDto> {
    return this.query.get(cmd);
  }

  @MessagePattern(CampaignsCommands.list)
  list(@Payload() cmd: ListCampaignsCommand): Promise<Page<CampaignDto>> {
    return this.query.list(cmd);
  }

  @MessagePattern(CampaignsCommands.recipients)
  recipients(@Payload() cmd: ListCampaignRecipientsCommand): Promise<Page<CampaignRecipientDto>> {
    return this.query.recipients(cmd);
  }

  @MessagePattern(CampaignsCommands.pause)
  pause(@Payload() cmd: CampaignRef): Promise<CampaignDto> {
    return this.control.pause(cmd);
  }

  @MessagePattern(CampaignsCommands.resume)
  resume(@Payload() cmd: CampaignRef): Promise<CampaignDto> {
    return this.control.resume(cmd);
  }

  @MessagePattern(CampaignsCommands.cancel)
  cancel(@Payload() cmd: CampaignRef): Promise<CampaignDto> {
    return this.control.cancel(cmd);
  }
}
