import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Calendars speak a time zone (`calendar_time_zone`, IANA, Europe/London for
 * the calendars that exist already), and every booking the agent makes or
 * attempts is recorded in `bookings`: one row per idempotency key and account
 * (a repeated command finds it instead of booking twice), listed newest first
 * per account by keyset over (created_at, id).
 */
export class Bookings1765110000000 implements MigrationInterface {
  name = 'Bookings1765110000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "numbers"."phone_numbers" ADD COLUMN "calendar_time_zone" text NOT NULL DEFAULT 'Europe/London'`,
    );
    await q.query(`
      CREATE TABLE "numbers"."bookings" (
        "id" text PRIMARY KEY,
        "account_id" text NOT NULL,
        "phone_number" text NOT NULL,
        "agent_id" text NOT NULL,
        "contact" text NOT NULL,
        "call_id" text,
        "message_id" text,
        "idempotency_key" text NOT NULL,
        "status" text NOT NULL CONSTRAINT "bookings_status_check"
          CHECK ("status" IN ('accepted', 'pending', 'cancelled', 'failed')),
        "calcom_uid" text,
        "calcom_id" bigint,
        "start" timestamptz(3) NOT NULL,
        "end" timestamptz(3),
        "time_zone" text NOT NULL,
        "attendee_name" text NOT NULL,
        "attendee_email" text,
        "notes" text,
        "error_code" text,
        "error_message" text,
        "alternatives" jsonb,
        "created_at" timestamptz(3) NOT NULL DEFAULT now(),
        "updated_at" timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT "bookings_account_idempotency_key" UNIQUE ("account_id", "idempotency_key")
      )`);
    await q.query(
      `CREATE INDEX "bookings_account_created_idx" ON "numbers"."bookings" ("account_id", "created_at" DESC, "id" DESC)`,
    );
    await q.query(
      `CREATE INDEX "bookings_call_idx" ON "numbers"."bookings" ("call_id") WHERE "call_id" IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "numbers"."bookings"`);
    await q.query(`ALTER TABLE "numbers"."phone_numbers" DROP COLUMN "calendar_time_zone"`);
  }
}
