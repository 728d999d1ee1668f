import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock, systemClock } from '@nixflex/common';
import { NumberResolverModule } from '@nixflex/common/numbers';
import { DestinationsModule } from '../destinations/destinations.module';
import { OptOutsModule } from '../opt-outs/opt-outs.module';
import { SmsSendService } from './accept/send.service';
import {
  IdempotencyKeysRepository,
  MessagesRepository,
  SMS_ENTITIES,
  StatusCallbacksRepository,
} from './data';
import { SmsDispatcher } from './dispatch/dispatcher';
import { TwilioSender } from './dispatch/twilio-sender';
import { PACING_SETTINGS, loadPacingSettings } from './pacing/pacing.settings';
import { SmsPacer } from './pacing/pacer';
import { SmsQueryService } from './queries/sms-query.service';
import { SmsCancelService } from './schedule/cancel.service';
import { ScheduleReleaser } from './schedule/schedule-releaser';
import { WaitingEnds } from './schedule/waiting-ends';
import { SmsHandler } from './sms.handler';
import { SmsPoller } from './sms-poller';
import { SMS_SETTINGS, loadSmsSettings } from './sms.settings';
import { ErrorCodeBackfill } from './status/error-backfill';
import { StatusIngestService } from './status/status-ingest.service';
import { StatusMachine } from './status/status-machine';
import { StatusReconciler } from './status/status-reconciler';

@Module({
  imports: [TypeOrmModule.forFeature(SMS_ENTITIES), NumberResolverModule, OptOutsModule, DestinationsModule],
  controllers: [SmsHandler],
  providers: [
    { provide: SMS_SETTINGS, useFactory: () => loadSmsSettings() },
    { provide: Clock, useFactory: systemClock },
    { provide: PACING_SETTINGS, useFactory: () => loadPacingSettings() },
    SmsPacer,
    MessagesRepository,
    StatusCallbacksRepository,
    IdempotencyKeysRepository,
    StatusMachine,
    SmsSendService,
    TwilioSender,
    SmsDispatcher,
    StatusIngestService,
    SmsQueryService,
    ErrorCodeBackfill,
    StatusReconciler,
    SmsPoller,
    SmsCancelService,
    ScheduleReleaser,
    WaitingEnds,
  ],
  exports: [SmsSendService, WaitingEnds],
})
export class SmsModule {}
