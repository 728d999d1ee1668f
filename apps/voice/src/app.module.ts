import { Module } from '@nestjs/common';
import { CoreModule } from '@nixflex/common';
import { RedisModule } from '@nixflex/common/redis';
import { LlmUsageModule } from '@nixflex/common/usage';
import { CallHandlingModule } from './calls/call-handling.module';
import { CallsCoreModule } from './calls/calls-core.module';
import { CALL_ENTITIES } from './calls/data/call.entities';
import { OutboundCallsModule } from './calls/outbound/outbound-calls.module';
import { WrapupModule } from './calls/wrapup/wrapup.module';
import { HealthController } from './health/health.controller';
import { HealthHandler } from './health/health.handler';

@Module({
  imports: [
    CoreModule.forService({ service: 'voice', entities: [...CALL_ENTITIES] }),
    RedisModule,
    LlmUsageModule.forService('voice'),
    CallsCoreModule,
    CallHandlingModule,
    OutboundCallsModule,
    WrapupModule,
  ],
  controllers: [HealthController, HealthHandler],
})
export class AppModule {}
