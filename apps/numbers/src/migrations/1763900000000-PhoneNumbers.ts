import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * phone_numbers: one row per imported number, unique across all accounts
 * (one number, one agent). Rows start 'pending' while Twilio is rewired, so
 * a racing duplicate import loses on the unique constraint before it touches
 * Twilio. Timestamps are kept to the millisecond because list cursors carry
 * millisecond ISO timestamps; agents get the same so their cursors never
 * skip rows created in the same millisecond.
 */
export class PhoneNumbers1763900000000 implements MigrationInterface {
  name = 'PhoneNumbers1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "numbers"."phone_numbers" (
      "id" text PRIMARY KEY,
      "phone_number" text NOT NULL,
      "account_id" text NOT NULL,
      "api_key_id" text NOT NULL,
      "agent_id" text NOT NULL REFERENCES "numbers"."agents" ("id"),
      "status" text NOT NULL DEFAULT 'pending' CHECK ("status" IN ('pending', 'active')),
      "twilio_account_sid" text NOT NULL,
      "twilio_number_sid" text NOT NULL,
      "twilio_auth_token_sealed" text NOT NULL,
      "custom_prompt" text CHECK (char_length("custom_prompt") <= 8000),
      "voice" text,
      "webhook_url" text,
      "calendar_event_type_id" text,
      "calendar_api_key_sealed" text,
      "previous_webhooks" jsonb,
      "created_at" timestamptz(3) NOT NULL DEFAULT now(),
      "updated_at" timestamptz(3) NOT NULL DEFAULT now(),
      CONSTRAINT "phone_numbers_phone_number_key" UNIQUE ("phone_number"),
      CONSTRAINT "phone_numbers_calendar_check" CHECK (("calendar_event_type_id" IS NULL) = ("calendar_api_key_sealed" IS NULL))
    )`);
    await q.query(
      `CREATE INDEX "phone_numbers_account_created_idx" ON "numbers"."phone_numbers" ("account_id", "created_at" DESC, "id" DESC)`,
    );
    await q.query(
      `CREATE INDEX "phone_numbers_agent_created_idx" ON "numbers"."phone_numbers" ("agent_id", "created_at" DESC, "id" DESC)`,
    );
    await q.query(`ALTER TABLE "numbers"."agents" ALTER COLUMN "created_at" TYPE timestamptz(3)`);
    await q.query(`ALTER TABLE "numbers"."agents" ALTER COLUMN "updated_at" TYPE timestamptz(3)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "numbers"."agents" ALTER COLUMN "updated_at" TYPE timestamptz`);
    await q.query(`ALTER TABLE "numbers"."agents" ALTER COLUMN "created_at" TYPE timestamptz`);
    await q.query(`DROP TABLE "numbers"."phone_numbers"`);
  }
}
