import { Module } from '@nestjs/common';
import { CoreModule } from '@nixflex/common';
import { HealthHandler } from './health/health.handler';

@Module({
  imports: [CoreModule.forService({ service: 'messaging', entities: [] })],
  controllers: [HealthHandler],
})
export class AppModule {}
