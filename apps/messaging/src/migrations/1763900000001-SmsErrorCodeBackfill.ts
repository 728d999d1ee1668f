import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A failure status can reach us without its ErrorCode (a callback overtaken
 * by the message's own progress); the poller then asks Twilio for it. These
 * columns schedule those look-ups.
 */
export class SmsErrorCodeBackfill1763900000001 implements MigrationInterface {
  name = 'SmsErrorCodeBackfill1763900000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "messaging"."messages"
      ADD COLUMN "error_fetch_attempts" smallint NOT NULL DEFAULT 0,
      ADD COLUMN "error_fetch_after" timestamptz`);
    await q.query(
      `CREATE INDEX "messages_error_fetch_idx" ON "messaging"."messages" ("error_fetch_after")
       WHERE "error_fetch_after" IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "messaging"."messages_error_fetch_idx"`);
    await q.query(
      `ALTER TABLE "messaging"."messages" DROP COLUMN "error_fetch_after", DROP COLUMN "error_fetch_attempts"`,
    );
  }
}
