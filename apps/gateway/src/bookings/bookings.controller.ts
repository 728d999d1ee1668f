import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  BookingDto,
  BookingPage,
  BrokerClient,
  CalendarCommands,
  ListBookingsQuery,
  Page,
} from '@nixflex/common';
import type { Principal } from '../auth/api-keys.service';
import { CurrentPrincipal } from '../auth/auth.guard';
import { API_KEY_SCHEME } from '../openapi/document';
import { ApiErrors } from '../openapi/errors';

/** Appointments the agents booked (or tried to book) on the account's numbers' Cal.com calendars. */
@ApiTags('bookings')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller('v1/bookings')
export class BookingsController {
  constructor(private readonly broker: BrokerClient) {}

  @Get()
  @ApiOperation({
    summary: 'Bookings made by your agents, newest first',
    description:
      'Every booking an agent made in a call or an SMS conversation, and every attempt that failed ' +
      '(`status: failed`, with `error_code`). Filter by number, call or status.',
  })
  @ApiOkResponse({ type: BookingPage })
  @ApiErrors(['validation_failed', 'invalid_cursor'])
  list(@CurrentPrincipal() p: Principal, @Query() q: ListBookingsQuery): Promise<Page<BookingDto>> {
    return this.broker.request(CalendarCommands.bookingsList, { ...q, account_id: p.accountId });
  }
}
