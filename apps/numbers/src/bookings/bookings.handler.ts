import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  BookingDto,
  CalendarAvailability,
  CalendarAvailabilityCommand,
  CalendarBookCommand,
  CalendarCommands,
  CalendarToolResult,
  ListBookingsCommand,
  Page,
} from '@nixflex/common';
import { CalendarService } from './calendar.service';

@Controller()
export class BookingsHandler {
  constructor(private readonly calendar: CalendarService) {}

  @MessagePattern(CalendarCommands.availability)
  availability(
    @Payload() cmd: CalendarAvailabilityCommand,
  ): Promise<CalendarToolResult<CalendarAvailability>> {
    return this.calendar.availability(cmd);
  }

  @MessagePattern(CalendarCommands.book)
  book(@Payload() cmd: CalendarBookCommand): Promise<CalendarToolResult<BookingDto>> {
    return this.calendar.book(cmd);
  }

  @MessagePattern(CalendarCommands.bookingsList)
  list(@Payload() cmd: ListBookingsCommand): Promise<Page<BookingDto>> {
    return this.calendar.list(cmd);
  }
}
