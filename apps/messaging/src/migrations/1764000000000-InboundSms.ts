import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Inbound SMS: opt-outs per (our number, recipient) and one reply claim per
 * inbound message (makes the agent reply idempotent across redeliveries).
 */
export class InboundSms1764000000000 implements MigrationInterface {
  name = 'InboundSms1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "messaging"."opt_outs" (
      "our_number" text NOT NULL,
      "recipient" text NOT NULL,
      "account_id" text NOT NULL,
      "opted_out_at" timestamptz NOT NULL DEFAULT now(),
      "source" text NOT NULL,
      "keyword" text,
      PRIMARY KEY ("our_number", "recipient")
    )`);
    await q.query(
      `CREATE INDEX "opt_outs_account_idx" ON "messaging"."opt_outs" ("account_id", "our_number", "opted_out_at" DESC)`,
    );
    await q.query(`CREATE TABLE "messaging"."inbound_replies" (
      "inbound_id" text PRIMARY KEY REFERENCES "messaging"."messages" ("id") ON DELETE CASCADE,
      "reply_message_id" text NOT NULL,
      "state" text NOT NULL CHECK ("state" IN ('pending', 'sent', 'failed', 'skipped')),
      "reason" text,
      "claimed_at" timestamptz NOT NULL DEFAULT now(),
      "attempts" integer NOT NULL DEFAULT 1
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "messaging"."inbound_replies"`);
    await q.query(`DROP TABLE "messaging"."opt_outs"`);
  }
}
