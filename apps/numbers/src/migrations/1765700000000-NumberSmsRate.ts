import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * sms_rate_per_second on a number: its SMS pace in message segments per
 * second, instead of the default for its type (messaging's pacing).
 * Nullable (null = the default); above 0 and at most 1000, like the API.
 */
export class NumberSmsRate1765700000000 implements MigrationInterface {
  name = 'NumberSmsRate1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "numbers"."phone_numbers" ADD COLUMN "sms_rate_per_second" double precision
       CONSTRAINT "phone_numbers_sms_rate_per_second_range"
       CHECK ("sms_rate_per_second" > 0 AND "sms_rate_per_second" <= 1000)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "numbers"."phone_numbers" DROP COLUMN "sms_rate_per_second"`);
  }
}
