import { Module } from '@nestjs/common';
import { CoreModule } from '@nixflex/common';
import { CAMPAIGN_ENTITIES } from './campaigns/campaign.entities';
import { CampaignsModule } from './campaigns/campaigns.module';
import { RedisModule } from '@nixflex/common/redis';
import { LlmUsageModule } from '@nixflex/common/usage';
import { AccountDestinations } from './destinations/account-destinations.entity';
import { HealthHandler } from './health/health.handler';
import { InboundReply } from './inbound/inbound-reply.entity';
import { InboundModule } from './inbound/inbound.module';
import { OptOut } from './opt-outs/opt-out.entity';
import { SMS_ENTITIES } from './sms/data';
import { SmsModule } from './sms/sms.module';

@Module({
  imports: [
    CoreModule.forService({
      service: 'messaging',
      entities: [...SMS_ENTITIES, OptOut, InboundReply, AccountDestinations, ...CAMPAIGN_ENTITIES],
    }),
    RedisModule,
    LlmUsageModule.forService('messaging'),
    SmsModule,
    InboundModule,
    CampaignsModule,
  ],
  controllers: [HealthHandler],
})
export class AppModule {}
