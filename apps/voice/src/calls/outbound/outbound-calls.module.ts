import { Module } from '@nestjs/common';
import { NumberResolverModule } from '@nixflex/common/numbers';
import { CallsCoreModule } from '../calls-core.module';
import { CallQueriesRepository } from '../data/call-queries.repository';
import { CallIdempotencyKeysRepository } from '../data/idempotency-keys.repository';
import { OutboundCallsRepository } from '../data/outbound-calls.repository';
import { CallQueryService } from '../queries/call-query.service';
import { CallAcceptService } from './call-accept.service';
import { CallsHandler } from './calls.handler';
import { DIAL_SETTINGS, loadDialSettings } from './dial.settings';
import { DialPoller } from './dial-poller';
import { Dialler } from './dialler';
import { TwilioCaller } from './twilio-caller';

/** The calls API (create, list, get) and the dialler that places outbound calls exactly once. */
@Module({
  imports: [CallsCoreModule, NumberResolverModule],
  controllers: [CallsHandler],
  providers: [
    { provide: DIAL_SETTINGS, useFactory: () => loadDialSettings() },
    OutboundCallsRepository,
    CallIdempotencyKeysRepository,
    CallQueriesRepository,
    CallAcceptService,
    CallQueryService,
    TwilioCaller,
    Dialler,
    DialPoller,
  ],
})
export class OutboundCallsModule {}
