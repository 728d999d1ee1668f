import { Module } from '@nestjs/common';
import { OptOutsController } from './opt-outs.controller';
import { SmsController } from './sms.controller';

@Module({ controllers: [SmsController, OptOutsController] })
export class SmsModule {}
