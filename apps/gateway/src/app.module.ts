import { Module } from '@nestjs/common';
import { CoreModule } from '@nixflex/common';
import { AccountSettingsModule } from './account-settings/account-settings.module';
import { AgentsModule } from './agents/agents.module';
import { CampaignsModule } from './campaigns/campaigns.module';
import { AuthModule } from './auth/auth.module';
import { BookingsModule } from './bookings/bookings.module';
import { AUTH_ENTITIES } from './auth/entities';
import { CallsModule } from './calls/calls.module';
import { CustomerWebhooksModule } from './customer-webhooks/customer-webhooks.module';
import { HealthController } from './health/health.controller';
import { PhoneNumbersModule } from './phone-numbers/phone-numbers.module';
import { SmsModule } from './sms/sms.module';
import { UsageModule } from './usage/usage.module';

@Module({
  imports: [
    CoreModule.forService({ service: 'gateway', entities: AUTH_ENTITIES }),
    AuthModule,
    AgentsModule,
    PhoneNumbersModule,
    SmsModule,
    CampaignsModule,
    CallsModule,
    CustomerWebhooksModule,
    BookingsModule,
    AccountSettingsModule,
    UsageModule,
  ],
  controllers: [HealthController],
})
export class AppModule {}
