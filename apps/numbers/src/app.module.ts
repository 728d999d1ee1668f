import { Module } from '@nestjs/common';
import { CoreModule } from '@nixflex/common';
import { Agent } from './agents/agent.entity';
import { AgentsModule } from './agents/agents.module';
import { Booking } from './bookings/booking.entity';
import { BookingsModule } from './bookings/bookings.module';
import { HealthHandler } from './health/health.handler';
import { NUMBERS_ENTITIES } from './phone-numbers/entities';
import { PhoneNumbersModule } from './phone-numbers/phone-numbers.module';

@Module({
  imports: [
    CoreModule.forService({ service: 'numbers', entities: [Agent, ...NUMBERS_ENTITIES, Booking] }),
    AgentsModule,
    PhoneNumbersModule,
    BookingsModule,
  ],
  controllers: [HealthHandler],
})
export class AppModule {}
