import { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxAndInbox, dropOutboxAndInbox } from '@nixflex/common';

export class NumbersInit1763800000000 implements MigrationInterface {
  name = 'NumbersInit1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await createOutboxAndInbox(q, 'numbers');
    await q.query(`CREATE TABLE "numbers"."agents" (
      "id" text PRIMARY KEY,
      "account_id" text NOT NULL,
      "name" text NOT NULL,
      "system_prompt" text NOT NULL DEFAULT '',
      "voice" text,
      "webhook_url" text,
      "post_call_sms_template" text CHECK (char_length("post_call_sms_template") <= 600),
      "llm_model" text,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(
      `CREATE INDEX "agents_account_created_idx" ON "numbers"."agents" ("account_id", "created_at" DESC, "id" DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "numbers"."agents"`);
    await dropOutboxAndInbox(q, 'numbers');
  }
}
