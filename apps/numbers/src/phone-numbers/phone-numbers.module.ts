import { Module } from '@nestjs/common';
import { NumberResolutionService } from './number-resolution.service';
import { PhoneNumbersHandler } from './phone-numbers.handler';
import { PhoneNumbersRepository } from './phone-numbers.repository';
import { PhoneNumbersService } from './phone-numbers.service';
import { TwilioNumbers } from './twilio-numbers';

@Module({
  providers: [PhoneNumbersRepository, PhoneNumbersService, NumberResolutionService, TwilioNumbers],
  controllers: [PhoneNumbersHandler],
  exports: [PhoneNumbersRepository],
})
export class PhoneNumbersModule {}
