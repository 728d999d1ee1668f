import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OptOut } from './opt-out.entity';
import { OptOutsRepository } from './opt-outs.repository';

@Module({
  imports: [TypeOrmModule.forFeature([OptOut])],
  providers: [OptOutsRepository],
  exports: [OptOutsRepository],
})
export class OptOutsModule {}
