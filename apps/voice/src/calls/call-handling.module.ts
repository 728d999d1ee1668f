import { Module } from '@nestjs/common';
import { AgentModule } from '@nixflex/common/agent';
import { CallerHistoryClient } from '@nixflex/common/history';
import { NumberResolverModule } from '@nixflex/common/numbers';
import { AnswerService } from './answer/answer.service';
import { CallHandlingHandler } from './call-handling.handler';
import { CallsCoreModule } from './calls-core.module';
import { CallerHistoryService } from './history/caller-history.service';
import { RelayServer } from './relay/relay-server';
import { RelaySessions } from './relay/relay-sessions';
import { CallCallbacksService } from './status/call-callbacks.service';
import { CallSweeper } from './sweeper/call-sweeper';

/**
 * Live calls, either direction, once Twilio has them: the answer to the voice
 * webhook (`calls.answer.v1`), the ConversationRelay WebSocket and its
 * sessions, Twilio's status and relay-ended callbacks, the sweeper for calls
 * whose end never arrived, and `voice.caller-history.v1`.
 */
@Module({
  imports: [CallsCoreModule, NumberResolverModule, AgentModule.register()],
  controllers: [CallHandlingHandler],
  providers: [
    AnswerService,
    CallerHistoryService,
    CallerHistoryClient,
    CallCallbacksService,
    RelaySessions,
    RelayServer,
    CallSweeper,
  ],
})
export class CallHandlingModule {}
