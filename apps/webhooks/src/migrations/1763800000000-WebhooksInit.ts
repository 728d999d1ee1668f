import { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxAndInbox, dropOutboxAndInbox } from '@nixflex/common';

export class WebhooksInit1763800000000 implements MigrationInterface {
  name = 'WebhooksInit1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await createOutboxAndInbox(q, 'webhooks');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropOutboxAndInbox(q, 'webhooks');
  }
}
