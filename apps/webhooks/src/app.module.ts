import { Module } from '@nestjs/common';
import { CoreModule } from '@nixflex/common';
import { HealthController } from './health/health.controller';
import { HealthHandler } from './health/health.handler';

@Module({
  imports: [CoreModule.forService({ service: 'webhooks', entities: [] })],
  controllers: [HealthController, HealthHandler],
})
export class AppModule {}
