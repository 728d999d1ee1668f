import { MigrationInterface, QueryRunner } from 'typeorm';
import { addOutboxRequestId, dropOutboxRequestId } from '@nixflex/common';

/** The outbox keeps the request id its event was written under; the relay sends it on. */
export class VoiceOutboxRequestId1765900000100 implements MigrationInterface {
  name = 'VoiceOutboxRequestId1765900000100';

  async up(q: QueryRunner): Promise<void> {
    await addOutboxRequestId(q, 'voice');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropOutboxRequestId(q, 'voice');
  }
}
