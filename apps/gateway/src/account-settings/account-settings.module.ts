import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountSettingsController } from './account-settings.controller';
import { AccountSettings } from './account-settings.entity';
import { AccountSettingsRepository } from './account-settings.repository';
import { AccountSettingsService } from './account-settings.service';

@Module({
  imports: [TypeOrmModule.forFeature([AccountSettings])],
  controllers: [AccountSettingsController],
  providers: [AccountSettingsRepository, AccountSettingsService],
  exports: [AccountSettingsService],
})
export class AccountSettingsModule {}
