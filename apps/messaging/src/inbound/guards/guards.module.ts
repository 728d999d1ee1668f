import { Module } from '@nestjs/common';
import { config } from '@nixflex/common';
import { InboundEvents } from '../inbound-events';
import { GuardsRepository } from './guards.repository';
import { ReplyGuards, SMS_GUARD_SETTINGS } from './reply-guards';

/** The LLM guards of inbound SMS (reply cap, loop detector): inject `ReplyGuards`. */
@Module({
  providers: [
    GuardsRepository,
    ReplyGuards,
    InboundEvents,
    { provide: SMS_GUARD_SETTINGS, useFactory: () => config().smsGuards },
  ],
  exports: [ReplyGuards],
})
export class ReplyGuardsModule {}
