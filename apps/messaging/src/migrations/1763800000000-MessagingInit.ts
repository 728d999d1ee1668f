import { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxAndInbox, dropOutboxAndInbox } from '@nixflex/common';

export class MessagingInit1763800000000 implements MigrationInterface {
  name = 'MessagingInit1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await createOutboxAndInbox(q, 'messaging');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropOutboxAndInbox(q, 'messaging');
  }
}
