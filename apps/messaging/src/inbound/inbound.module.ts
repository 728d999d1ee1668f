import { Module } from '@nestjs/common';
import { NumberResolverModule } from '@nixflex/common/numbers';
import { OptOutsModule } from '../opt-outs/opt-outs.module';
import { SmsModule } from '../sms/sms.module';
import { InboundHandler } from './inbound.handler';
import { InboundService } from './inbound.service';

/** Inbound SMS: storage, STOP/START/YES/HELP, the agent's LLM reply, opt-out listing. */
@Module({
  imports: [SmsModule, NumberResolverModule, OptOutsModule],
  controllers: [InboundHandler],
  providers: [InboundService],
})
export class InboundModule {}
