import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NumberResolverModule } from '@nixflex/common/numbers';
import { OptOutsModule } from '../opt-outs/opt-outs.module';
import { SmsDispatcher } from './dispatcher';
import { ErrorCodeBackfill } from './error-backfill';
import { SmsSendService } from './send.service';
import { SMS_ENTITIES } from './sms.entities';
import { SmsHandler } from './sms.handler';
import { SmsPoller } from './sms-poller';
import { SmsQueryService } from './sms-query.service';
import { SmsRepository } from './sms.repository';
import { SMS_SETTINGS, loadSmsSettings } from './sms.settings';
import { StatusIngestService } from './status-ingest.service';
import { StatusMachine } from './status-machine';
import { StatusReconciler } from './status-reconciler';
import { TwilioSender } from './twilio-sender';

@Module({
  imports: [TypeOrmModule.forFeature(SMS_ENTITIES), NumberResolverModule, OptOutsModule],
  controllers: [SmsHandler],
  providers: [
    { provide: SMS_SETTINGS, useFactory: () => loadSmsSettings() },
    SmsRepository,
    StatusMachine,
    SmsSendService,
    TwilioSender,
    SmsDispatcher,
    StatusIngestService,
    SmsQueryService,
    ErrorCodeBackfill,
    StatusReconciler,
    SmsPoller,
  ],
  exports: [SmsSendService],
})
export class SmsModule {}
