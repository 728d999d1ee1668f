import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customer webhooks: per-account signing secrets (sealed), endpoints disabled
 * by a 410, one delivery per customer event and one row per attempt.
 * Deliveries due for an attempt are found through a partial index on
 * next_attempt_at, so the poller's claim stays cheap however long the log.
 */
export class CustomerWebhooks1763950000000 implements MigrationInterface {
  name = 'CustomerWebhooks1763950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "webhooks"."customer_webhook_secrets" (
      "account_id" text PRIMARY KEY,
      "secret_sealed" text NOT NULL,
      "previous_secret_sealed" text,
      "previous_expires_at" timestamptz(3),
      "created_at" timestamptz(3) NOT NULL DEFAULT now(),
      CONSTRAINT "customer_webhook_secrets_previous_check"
        CHECK (("previous_secret_sealed" IS NULL) = ("previous_expires_at" IS NULL))
    )`);
    await q.query(`CREATE TABLE "webhooks"."customer_webhook_endpoints" (
      "account_id" text NOT NULL,
      "url" text NOT NULL,
      "disabled_at" timestamptz(3) NOT NULL DEFAULT now(),
      "disabled_reason" text NOT NULL,
      "disabled_by_delivery_id" text,
      PRIMARY KEY ("account_id", "url")
    )`);
    await q.query(`CREATE TABLE "webhooks"."customer_webhook_deliveries" (
      "id" text PRIMARY KEY,
      "account_id" text NOT NULL,
      "event_id" text NOT NULL,
      "event_type" text NOT NULL,
      "phone_number" text,
      "agent_id" text,
      "url" text NOT NULL,
      "payload" text NOT NULL,
      "status" text NOT NULL CHECK ("status" IN ('pending', 'delivered', 'failed', 'skipped')),
      "attempt_count" integer NOT NULL DEFAULT 0,
      "next_attempt_at" timestamptz(3),
      "claim_token" uuid,
      "last_http_status" integer,
      "last_error" text,
      "failure_reason" text,
      "created_at" timestamptz(3) NOT NULL DEFAULT now(),
      "updated_at" timestamptz(3) NOT NULL DEFAULT now(),
      "delivered_at" timestamptz(3),
      CONSTRAINT "customer_webhook_deliveries_event_key" UNIQUE ("event_id"),
      CONSTRAINT "customer_webhook_deliveries_due_check" CHECK (("status" = 'pending') = ("next_attempt_at" IS NOT NULL))
    )`);
    await q.query(
      `CREATE INDEX "customer_webhook_deliveries_account_idx" ON "webhooks"."customer_webhook_deliveries" ("account_id", "created_at" DESC, "id" DESC)`,
    );
    await q.query(
      `CREATE INDEX "customer_webhook_deliveries_account_status_idx" ON "webhooks"."customer_webhook_deliveries" ("account_id", "status", "created_at" DESC, "id" DESC)`,
    );
    await q.query(
      `CREATE INDEX "customer_webhook_deliveries_due_idx" ON "webhooks"."customer_webhook_deliveries" ("next_attempt_at") WHERE "status" = 'pending'`,
    );
    await q.query(`CREATE TABLE "webhooks"."customer_webhook_attempts" (
      "delivery_id" text NOT NULL REFERENCES "webhooks"."customer_webhook_deliveries" ("id") ON DELETE CASCADE,
      "attempt" integer NOT NULL,
      "started_at" timestamptz(3) NOT NULL DEFAULT now(),
      "finished_at" timestamptz(3),
      "duration_ms" integer,
      "http_status" integer,
      "error" text,
      PRIMARY KEY ("delivery_id", "attempt")
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "webhooks"."customer_webhook_attempts"`);
    await q.query(`DROP TABLE "webhooks"."customer_webhook_deliveries"`);
    await q.query(`DROP TABLE "webhooks"."customer_webhook_endpoints"`);
    await q.query(`DROP TABLE "webhooks"."customer_webhook_secrets"`);
  }
}
