import { Module } from '@nestjs/common';
import { AgentModule } from '@nixflex/common/agent';
import { NumberResolverModule } from '@nixflex/common/numbers';
import { CallsCoreModule } from '../calls-core.module';
import { WrapupRepository } from '../data/wrapup.repository';
import { CallWrapup } from './call-wrapup';
import { WrapupPoller } from './wrapup-poller';

/**
 * What happens after a call ends, once: its summary, its post-call SMS and
 * the customer's `call.ended` (see CallWrapup and docs/agent-actions.md).
 */
@Module({
  imports: [CallsCoreModule, NumberResolverModule, AgentModule.register()],
  providers: [WrapupRepository, CallWrapup, WrapupPoller],
})
export class WrapupModule {}
