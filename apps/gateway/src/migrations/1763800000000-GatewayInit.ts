import { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxAndInbox, dropOutboxAndInbox } from '@nixflex/common';

export class GatewayInit1763800000000 implements MigrationInterface {
  name = 'GatewayInit1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await createOutboxAndInbox(q, 'gateway');
    await q.query(`CREATE TABLE "gateway"."accounts" (
      "id" text PRIMARY KEY,
      "name" text NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE "gateway"."api_keys" (
      "id" text PRIMARY KEY,
      "account_id" text NOT NULL REFERENCES "gateway"."accounts"("id"),
      "secret_hash" text NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "revoked_at" timestamptz
    )`);
    await q.query(`CREATE INDEX "api_keys_account_idx" ON "gateway"."api_keys" ("account_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "gateway"."api_keys"`);
    await q.query(`DROP TABLE "gateway"."accounts"`);
    await dropOutboxAndInbox(q, 'gateway');
  }
}
