import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountDestinations } from './account-destinations.entity';
import { AccountDestinationsRepository } from './account-destinations.repository';
import { AccountPolicy } from './account-policy';
import { DestinationPolicy } from './destination-policy';
import { DestinationsHandler } from './destinations.handler';

@Module({
  imports: [TypeOrmModule.forFeature([AccountDestinations])],
  controllers: [DestinationsHandler],
  providers: [AccountDestinationsRepository, DestinationPolicy, AccountPolicy],
  exports: [DestinationPolicy, AccountPolicy],
})
export class DestinationsModule {}
