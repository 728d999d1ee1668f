import { Module } from '@nestjs/common';
import { CalcomClient } from '@nixflex/common/calcom';
import { PhoneNumbersModule } from '../phone-numbers/phone-numbers.module';
import { BookingsHandler } from './bookings.handler';
import { BookingsRepository } from './bookings.repository';
import { CalendarService } from './calendar.service';

/** The agent's calendar tools (Cal.com) and the record of bookings. */
@Module({
  imports: [PhoneNumbersModule],
  providers: [
    BookingsRepository,
    CalendarService,
    { provide: CalcomClient, useFactory: () => CalcomClient.fromConfig() },
  ],
  controllers: [BookingsHandler],
})
export class BookingsModule {}
