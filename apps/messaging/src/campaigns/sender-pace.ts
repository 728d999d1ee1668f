import { Injectable } from '@nestjs/common';

/** The pace a sender number is held to, in segments per second (for the ETA). */
@Injectable()
export class SenderPace {
  async segmentsPerSecond(fromNumber: string): Promise<number> {
    return fromNumber.startsWith('+1') ? 1 : 10;
  }
}
