import { Module } from '@nestjs/common';
import { Clock, systemClock } from '@nixflex/common';
import { AccountSettingsModule } from '../account-settings/account-settings.module';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

@Module({
  imports: [AccountSettingsModule],
  controllers: [UsageController],
  providers: [UsageService, { provide: Clock, useFactory: () => systemClock() }],
})
export class UsageModule {}
