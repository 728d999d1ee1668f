import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Messaging's copy of the account settings gains the quiet hours and the
 * `respect_quiet_hours` default (kept from `accounts.settings-changed.v1` under
 * the same version rule as the allowed countries); messages gain an index for
 * the expiry of those still waiting (`expires_at`).
 */
export class AccountSendPolicy1765800000200 implements MigrationInterface {
  name = 'AccountSendPolicy1765800000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "messaging"."account_destinations"
      ADD COLUMN "quiet_hours_start" text NOT NULL DEFAULT '21:00',
      ADD COLUMN "quiet_hours_end" text NOT NULL DEFAULT '09:00',
      ADD COLUMN "respect_quiet_hours_default" boolean NOT NULL DEFAULT false`);
    await q.query(
      `CREATE INDEX "messages_expiring_idx" ON "messaging"."messages" ("expires_at")
        WHERE "expires_at" IS NOT NULL AND "status" IN ('scheduled', 'queued')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "messaging"."messages_expiring_idx"`);
    await q.query(`ALTER TABLE "messaging"."account_destinations"
      DROP COLUMN "quiet_hours_start", DROP COLUMN "quiet_hours_end", DROP COLUMN "respect_quiet_hours_default"`);
  }
}
