import { Module } from '@nestjs/common';
import { AgentModule } from '@nixflex/common/agent';
import { NumberResolverModule } from '@nixflex/common/numbers';
import { OptOutsModule } from '../opt-outs/opt-outs.module';
import { SmsModule } from '../sms/sms.module';
import { ConversationRepository } from './conversation.repository';
import { InboundEvents } from './inbound-events';
import { InboundRepliesRepository } from './inbound-replies.repository';
import { InboundReplyService } from './inbound-reply.service';
import { InboundHandler } from './inbound.handler';
import { InboundService } from './inbound.service';
import { KeywordActions } from './keyword-actions';

/** Inbound SMS: storage, STOP/START/YES/HELP, the agent's LLM reply, opt-out listing. */
@Module({
  imports: [SmsModule, NumberResolverModule, OptOutsModule, AgentModule.register()],
  controllers: [InboundHandler],
  providers: [
    InboundService,
    InboundReplyService,
    KeywordActions,
    InboundEvents,
    ConversationRepository,
    InboundRepliesRepository,
  ],
})
export class InboundModule {}
