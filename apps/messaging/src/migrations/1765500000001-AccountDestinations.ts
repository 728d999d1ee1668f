import { MigrationInterface, QueryRunner } from 'typeorm';

/** Messaging's copy of each account's allowed destination countries, kept from `accounts.settings-changed.v1`. */
export class AccountDestinations1765500000001 implements MigrationInterface {
  name = 'AccountDestinations1765500000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "messaging"."account_destinations" (
      "account_id" text PRIMARY KEY,
      "allowed_countries" text[] NOT NULL,
      "version" integer NOT NULL,
      "updated_at" timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "messaging"."account_destinations"`);
  }
}
