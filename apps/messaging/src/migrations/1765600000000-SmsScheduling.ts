import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduled sends (`send_at`, quiet hours): a message waiting in `scheduled`
 * has no dispatch state and no outbox row until the release poller moves it
 * to `queued` at `scheduled_for`; the partial index is that poller's queue.
 */
export class SmsScheduling1765600000000 implements MigrationInterface {
  name = 'SmsScheduling1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "messaging"."messages" ADD COLUMN "scheduled_for" timestamptz`);
    await q.query(
      `CREATE INDEX "messages_scheduled_due_idx" ON "messaging"."messages" ("scheduled_for") WHERE "status" = 'scheduled'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "messaging"."messages_scheduled_due_idx"`);
    await q.query(`ALTER TABLE "messaging"."messages" DROP COLUMN "scheduled_for"`);
  }
}
