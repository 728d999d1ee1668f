import { MigrationInterface, QueryRunner } from 'typeorm';

/** One settings row per account that changed its settings; an account without one has the defaults. */
export class AccountSettings1765500000000 implements MigrationInterface {
  name = 'AccountSettings1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "gateway"."account_settings" (
      "account_id" text PRIMARY KEY REFERENCES "gateway"."accounts"("id"),
      "allowed_destination_countries" text[] NOT NULL,
      "quiet_hours_start" text NOT NULL,
      "quiet_hours_end" text NOT NULL,
      "respect_quiet_hours_default" boolean NOT NULL,
      "version" integer NOT NULL,
      "updated_at" timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "gateway"."account_settings"`);
  }
}
