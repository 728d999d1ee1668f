import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * post_call_sms_template on a number: its own post-call SMS template instead
 * of its agent's. Nullable (null = the agent's), at most 600 characters like
 * the API.
 */
export class NumberPostCallTemplate1765400000000 implements MigrationInterface {
  name = 'NumberPostCallTemplate1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "numbers"."phone_numbers" ADD COLUMN "post_call_sms_template" text
       CONSTRAINT "phone_numbers_post_call_sms_template_length" CHECK (char_length("post_call_sms_template") <= 600)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "numbers"."phone_numbers" DROP COLUMN "post_call_sms_template"`);
  }
}
