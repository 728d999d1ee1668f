import { Injectable } from '@nestjs/common';
import { NumberResolver } from '@nixflex/common/numbers';
import { paceOf } from '../sms/pacing/rates';

/** The pace a campaign's sender is held to, in segments per second (for the ETA). */
@Injectable()
export class SenderPace {
  constructor(private readonly numbers: NumberResolver) {}

  /** `paceOf` the number as the sender resolves it; its default rate if it cannot be resolved now. */
  async segmentsPerSecond(fromNumber: string): Promise<number> {
    try {
      return paceOf(await this.numbers.resolve(fromNumber));
    } catch {
      return paceOf({ phone_number: fromNumber });
    }
  }
}
