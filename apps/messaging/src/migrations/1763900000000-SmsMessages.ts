import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SMS records, their status history, raw Twilio status callbacks and
 * idempotency keys. One `messages` table for both directions: inbound
 * messages (next issue) land here with direction 'inbound', and a
 * conversation is (account, our_number, other_party).
 */
export class SmsMessages1763900000000 implements MigrationInterface {
  name = 'SmsMessages1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "messaging"."messages" (
      "id" text PRIMARY KEY,
      "account_id" text NOT NULL,
      "api_key_id" text,
      "agent_id" text,
      "direction" text NOT NULL CHECK ("direction" IN ('outbound', 'inbound')),
      "source" text NOT NULL DEFAULT 'api',
      "from_number" text NOT NULL,
      "to_number" text NOT NULL,
      "our_number" text NOT NULL,
      "other_party" text NOT NULL,
      "body" text NOT NULL,
      "segments" integer NOT NULL,
      "encoding" text NOT NULL,
      "estimated_cost" jsonb,
      "in_reply_to" text REFERENCES "messaging"."messages" ("id") ON DELETE SET NULL,
      "status" text NOT NULL,
      "status_rank" smallint NOT NULL,
      "status_changed_at" timestamptz NOT NULL DEFAULT now(),
      "error_code" text,
      "error_message" text,
      "soft_failure" boolean NOT NULL DEFAULT false,
      "soft_failure_at" timestamptz,
      "twilio_sid" text,
      "twilio_account_sid" text,
      "dispatch_state" text CHECK ("dispatch_state" IN ('pending', 'in_flight', 'uncertain', 'done', 'failed')),
      "attempts" integer NOT NULL DEFAULT 0,
      "next_attempt_at" timestamptz,
      "lease_until" timestamptz,
      "last_attempt_error" text,
      "dispatched_at" timestamptz,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(
      `CREATE UNIQUE INDEX "messages_twilio_sid_uq" ON "messaging"."messages" ("twilio_sid") WHERE "twilio_sid" IS NOT NULL`,
    );
    // Keyset pagination (created_at DESC, id DESC) per account, and per filter.
    await q.query(
      `CREATE INDEX "messages_account_idx" ON "messaging"."messages" ("account_id", "created_at" DESC, "id" DESC)`,
    );
    for (const col of ['agent_id', 'from_number', 'to_number', 'status']) {
      await q.query(
        `CREATE INDEX "messages_account_${col}_idx" ON "messaging"."messages" ("account_id", "${col}", "created_at" DESC, "id" DESC)`,
      );
    }
    await q.query(
      `CREATE INDEX "messages_conversation_idx" ON "messaging"."messages" ("account_id", "our_number", "other_party", "created_at", "id")`,
    );
    // The sender's poller: only rows that still have work to do.
    await q.query(
      `CREATE INDEX "messages_dispatch_due_idx" ON "messaging"."messages" ("next_attempt_at")
       WHERE "dispatch_state" IN ('pending', 'in_flight', 'uncertain')`,
    );
    await q.query(
      `CREATE INDEX "messages_soft_failure_idx" ON "messaging"."messages" ("status_changed_at")
       WHERE "status" = 'sent' AND NOT "soft_failure"`,
    );

    await q.query(`CREATE TABLE "messaging"."message_status_history" (
      "id" bigserial PRIMARY KEY,
      "message_id" text NOT NULL REFERENCES "messaging"."messages" ("id") ON DELETE CASCADE,
      "status" text NOT NULL,
      "error_code" text,
      "source" text NOT NULL,
      "occurred_at" timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(
      `CREATE INDEX "message_status_history_message_idx" ON "messaging"."message_status_history" ("message_id", "id")`,
    );

    // Every verified Twilio status callback, applied or not: an audit trail, and
    // the parking place of a callback that arrives before its SID is stored.
    await q.query(`CREATE TABLE "messaging"."status_callbacks" (
      "id" bigserial PRIMARY KEY,
      "twilio_sid" text NOT NULL,
      "status" text NOT NULL,
      "error_code" text,
      "received_at" timestamptz NOT NULL,
      "applied_at" timestamptz,
      "outcome" text
    )`);
    await q.query(
      `CREATE INDEX "status_callbacks_pending_idx" ON "messaging"."status_callbacks" ("twilio_sid") WHERE "applied_at" IS NULL`,
    );

    await q.query(`CREATE TABLE "messaging"."idempotency_keys" (
      "account_id" text NOT NULL,
      "key" text NOT NULL,
      "request_hash" text NOT NULL,
      "message_id" text NOT NULL,
      "response" jsonb NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY ("account_id", "key")
    )`);
    await q.query(
      `CREATE INDEX "idempotency_keys_created_idx" ON "messaging"."idempotency_keys" ("created_at")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "messaging"."idempotency_keys"`);
    await q.query(`DROP TABLE "messaging"."status_callbacks"`);
    await q.query(`DROP TABLE "messaging"."message_status_history"`);
    await q.query(`DROP TABLE "messaging"."messages"`);
  }
}
