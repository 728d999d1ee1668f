import { MigrationInterface, QueryRunner } from 'typeorm';
import { addOutboxRequestId, dropOutboxRequestId } from '@nixflex/common';

/** The outbox keeps the request id its event was written under; the relay sends it on. */
export class MessagingOutboxRequestId1765900000100 implements MigrationInterface {
  name = 'MessagingOutboxRequestId1765900000100';

  async up(q: QueryRunner): Promise<void> {
    await addOutboxRequestId(q, 'messaging');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropOutboxRequestId(q, 'messaging');
  }
}
