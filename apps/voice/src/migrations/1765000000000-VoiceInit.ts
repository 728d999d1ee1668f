import { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxAndInbox, dropOutboxAndInbox } from '@nixflex/common';

/**
 * The voice service's schema: calls (both directions; outbound rows also
 * carry the dialler's work state, as outbound SMS do), each call's turns
 * (the transcript, one row per completed utterance), its status history,
 * and the Idempotency-Keys of POST /v1/calls. (An outbound call's status
 * callbacks carry our call id in their URL, so none waits for a CallSid.)
 */
export class VoiceInit1765000000000 implements MigrationInterface {
  name = 'VoiceInit1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await createOutboxAndInbox(q, 'voice');
    await q.query(`CREATE TABLE "voice"."calls" (
      "id" text PRIMARY KEY,
      "account_id" text NOT NULL,
      "api_key_id" text,
      "agent_id" text NOT NULL,
      "direction" text NOT NULL CHECK ("direction" IN ('inbound', 'outbound')),
      "our_number" text NOT NULL,
      "other_party" text NOT NULL,
      "from_number" text NOT NULL,
      "to_number" text NOT NULL,
      "twilio_sid" text,
      "twilio_account_sid" text,
      "status" text NOT NULL,
      "status_rank" smallint NOT NULL,
      "status_changed_at" timestamptz(3) NOT NULL,
      "prompt" text,
      "first_message" text,
      "metadata" jsonb,
      "voice" text,
      "end_reason" text,
      "error_code" text,
      "error_message" text,
      "duration_s" integer,
      "dispatch_state" text CHECK ("dispatch_state" IN ('pending', 'in_flight', 'uncertain', 'done', 'failed')),
      "attempts" integer NOT NULL DEFAULT 0,
      "next_attempt_at" timestamptz(3),
      "lease_until" timestamptz(3),
      "last_attempt_error" text,
      "answered_at" timestamptz(3),
      "ended_at" timestamptz(3),
      "created_at" timestamptz(3) NOT NULL DEFAULT now(),
      "updated_at" timestamptz(3) NOT NULL DEFAULT now(),
      CONSTRAINT "calls_twilio_sid_key" UNIQUE ("twilio_sid")
    )`);
    await q.query(
      `CREATE INDEX "calls_account_created_idx" ON "voice"."calls" ("account_id", "created_at" DESC, "id" DESC)`,
    );
    await q.query(
      `CREATE INDEX "calls_caller_idx" ON "voice"."calls" ("account_id", "our_number", "other_party", "created_at" DESC)`,
    );
    await q.query(
      `CREATE INDEX "calls_dispatch_due_idx" ON "voice"."calls" ("next_attempt_at") WHERE "dispatch_state" IN ('pending', 'uncertain')`,
    );
    await q.query(
      `CREATE INDEX "calls_lease_idx" ON "voice"."calls" ("lease_until") WHERE "dispatch_state" = 'in_flight'`,
    );
    await q.query(
      `CREATE INDEX "calls_open_idx" ON "voice"."calls" ("status_changed_at") WHERE "ended_at" IS NULL`,
    );
    await q.query(`CREATE TABLE "voice"."call_turns" (
      "call_id" text NOT NULL REFERENCES "voice"."calls" ("id") ON DELETE CASCADE,
      "seq" integer NOT NULL,
      "role" text NOT NULL CHECK ("role" IN ('caller', 'agent')),
      "text" text NOT NULL,
      "interrupted" boolean NOT NULL DEFAULT false,
      "at" timestamptz(3) NOT NULL,
      PRIMARY KEY ("call_id", "seq")
    )`);
    await q.query(`CREATE TABLE "voice"."call_status_history" (
      "id" bigserial PRIMARY KEY,
      "call_id" text NOT NULL REFERENCES "voice"."calls" ("id") ON DELETE CASCADE,
      "status" text NOT NULL,
      "at" timestamptz(3) NOT NULL,
      "source" text NOT NULL
    )`);
    await q.query(
      `CREATE INDEX "call_status_history_call_idx" ON "voice"."call_status_history" ("call_id", "id")`,
    );
    await q.query(`CREATE TABLE "voice"."idempotency_keys" (
      "account_id" text NOT NULL,
      "key" text NOT NULL,
      "request_hash" text NOT NULL,
      "call_id" text NOT NULL,
      "response" jsonb NOT NULL,
      "created_at" timestamptz(3) NOT NULL DEFAULT now(),
      PRIMARY KEY ("account_id", "key")
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "voice"."idempotency_keys"`);
    await q.query(`DROP TABLE "voice"."call_status_history"`);
    await q.query(`DROP TABLE "voice"."call_turns"`);
    await q.query(`DROP TABLE "voice"."calls"`);
    await dropOutboxAndInbox(q, 'voice');
  }
}
