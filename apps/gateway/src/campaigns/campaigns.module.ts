import { Module } from '@nestjs/common';
import { CampaignUpload } from './campaign-upload';
import { CampaignsController } from './campaigns.controller';

@Module({ controllers: [CampaignsController], providers: [CampaignUpload] })
export class CampaignsModule {}
