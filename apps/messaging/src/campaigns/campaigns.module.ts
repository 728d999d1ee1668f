import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock, systemClock } from '@nixflex/common';
import { NumberResolverModule } from '@nixflex/common/numbers';
import { DestinationsModule } from '../destinations/destinations.module';
import { CAMPAIGN_ENTITIES } from './campaign.entities';
import { CampaignCompleter } from './campaign-completer';
import { CampaignControlService } from './campaign-control.service';
import { CampaignIntakeService } from './campaign-intake.service';
import { CampaignQueryService } from './campaign-query.service';
import { CampaignsHandler } from './campaigns.handler';
import { CampaignsRepository } from './campaigns.repository';
import { SenderPace } from './sender-pace';

@Module({
  imports: [TypeOrmModule.forFeature(CAMPAIGN_ENTITIES), NumberResolverModule, DestinationsModule],
  controllers: [CampaignsHandler],
  providers: [
    { provide: Clock, useFactory: systemClock },
    CampaignsRepository,
    CampaignIntakeService,
    CampaignQueryService,
    CampaignControlService,
    CampaignCompleter,
    SenderPace,
  ],
})
export class CampaignsModule {}
