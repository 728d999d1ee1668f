import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Campaigns (docs/campaigns.md): a campaign and its recipients, each
 * recipient either skipped with a reason or linked to the one message it
 * became. Messages gain `campaign_id` (also set on an inbound reply to a
 * campaign message) and `expires_at` (not sent by then: `failed`/`expired`).
 */
export class Campaigns1765700000000 implements MigrationInterface {
  name = 'Campaigns1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "messaging"."messages" ADD COLUMN "campaign_id" text`);
    await q.query(`ALTER TABLE "messaging"."messages" ADD COLUMN "expires_at" timestamptz`);
    await q.query(
      `CREATE INDEX "messages_campaign_idx" ON "messaging"."messages" ("campaign_id", "status") WHERE "campaign_id" IS NOT NULL`,
    );
    // The paced release reads due messages per sender.
    await q.query(
      `CREATE INDEX "messages_scheduled_sender_idx" ON "messaging"."messages" ("from_number", "scheduled_for") WHERE "status" = 'scheduled'`,
    );
    await q.query(`CREATE TABLE "messaging"."campaigns" (
      "id" text PRIMARY KEY,
      "account_id" text NOT NULL,
      "api_key_id" text,
      "agent_id" text NOT NULL,
      "name" text NOT NULL,
      "from_number" text NOT NULL,
      "message" text NOT NULL,
      "status" text NOT NULL,
      "respect_quiet_hours" boolean NOT NULL,
      "send_at" timestamptz,
      "starts_at" timestamptz NOT NULL,
      "expires_at" timestamptz,
      "recipients_total" integer NOT NULL DEFAULT 0,
      "skipped_total" integer NOT NULL DEFAULT 0,
      "over_600" integer NOT NULL DEFAULT 0,
      "segments_total" integer NOT NULL DEFAULT 0,
      "estimated_cost" jsonb,
      "idempotency_key" text,
      "request_hash" text,
      "created_at" timestamptz NOT NULL,
      "updated_at" timestamptz NOT NULL,
      "paused_at" timestamptz,
      "canceled_at" timestamptz,
      "completed_at" timestamptz
    )`);
    await q.query(
      `CREATE INDEX "campaigns_account_idx" ON "messaging"."campaigns" ("account_id", "created_at" DESC, "id" DESC)`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "campaigns_idempotency_idx" ON "messaging"."campaigns" ("account_id", "idempotency_key") WHERE "idempotency_key" IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX "campaigns_open_idx" ON "messaging"."campaigns" ("status") WHERE "status" IN ('running', 'paused')`,
    );
    await q.query(`CREATE TABLE "messaging"."campaign_recipients" (
      "campaign_id" text NOT NULL REFERENCES "messaging"."campaigns" ("id") ON DELETE CASCADE,
      "row_number" integer NOT NULL,
      "to_raw" text NOT NULL,
      "to_number" text,
      "variables" jsonb,
      "country" text,
      "body" text,
      "segments" integer,
      "encoding" text,
      "estimated_cost" jsonb,
      "message_id" text,
      "skip_reason" text,
      "skip_message" text,
      PRIMARY KEY ("campaign_id", "row_number")
    )`);
    await q.query(
      `CREATE UNIQUE INDEX "campaign_recipients_to_idx" ON "messaging"."campaign_recipients" ("campaign_id", "to_number") WHERE "skip_reason" IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "messaging"."campaign_recipients"`);
    await q.query(`DROP TABLE "messaging"."campaigns"`);
    await q.query(`DROP INDEX "messaging"."messages_scheduled_sender_idx"`);
    await q.query(`DROP INDEX "messaging"."messages_campaign_idx"`);
    await q.query(`ALTER TABLE "messaging"."messages" DROP COLUMN "expires_at"`);
    await q.query(`ALTER TABLE "messaging"."messages" DROP COLUMN "campaign_id"`);
  }
}
