import { Module } from '@nestjs/common';
import { AgentModule } from '@nixflex/common/agent';
import { CallerHistoryClient } from '@nixflex/common/history';
import { NumberResolverModule } from '@nixflex/common/numbers';
import { OptOutsModule } from '../opt-outs/opt-outs.module';
import { SmsModule } from '../sms/sms.module';
import { ConversationRepository } from './conversation.repository';
import { ReplyGuardsModule } from './guards/guards.module';
import { InboundEvents } from './inbound-events';
import { InboundRepliesRepository } from './inbound-replies.repository';
import { InboundReplyService } from './inbound-reply.service';
import { InboundHandler } from './inbound.handler';
import { InboundService } from './inbound.service';
import { KeywordActions } from './keyword-actions';
import { TextHistoryService } from './text-history.service';

/**
 * Inbound SMS: storage, STOP/START/YES/HELP, the agent's LLM reply (with the
 * caller's earlier calls, asked of voice), opt-out listing, and the texts with
 * a caller for other channels (`sms.caller-history.v1`).
 */
@Module({
  imports: [SmsModule, NumberResolverModule, OptOutsModule, AgentModule.register(), ReplyGuardsModule],
  controllers: [InboundHandler],
  providers: [
    InboundService,
    InboundReplyService,
    KeywordActions,
    InboundEvents,
    ConversationRepository,
    InboundRepliesRepository,
    TextHistoryService,
    CallerHistoryClient,
  ],
})
export class InboundModule {}
