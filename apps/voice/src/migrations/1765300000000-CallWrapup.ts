import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What happens after a call ends, done once by the wrap-up poller: the call's
 * summary, its post-call SMS, and the customer's `call.ended`. A call that
 * reaches its final status gets `wrapup_state = 'pending'` in the same
 * transaction; the poller claims it with a lease (`wrapup_due_at`, which is
 * also the retry time) and marks it `done` in the transaction that adds
 * `call.ended` to the outbox. Calls that ended before this migration have no
 * wrap-up state: their `call.ended` was already sent.
 */
export class CallWrapup1765300000000 implements MigrationInterface {
  name = 'CallWrapup1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "voice"."calls"
      ADD COLUMN "summary" text,
      ADD COLUMN "summary_state" text CHECK ("summary_state" IN ('written', 'no_conversation', 'failed', 'disabled')),
      ADD COLUMN "post_call_sms_state" text CHECK ("post_call_sms_state" IN
        ('sent', 'skipped_opted_out', 'skipped_not_eligible', 'skipped_no_template', 'failed')),
      ADD COLUMN "post_call_sms_id" text,
      ADD COLUMN "post_call_sms_error" text,
      ADD COLUMN "wrapup_state" text CHECK ("wrapup_state" IN ('pending', 'done')),
      ADD COLUMN "wrapup_due_at" timestamptz(3),
      ADD COLUMN "wrapup_attempts" integer NOT NULL DEFAULT 0,
      ADD COLUMN "wrapup_started_at" timestamptz(3),
      ADD COLUMN "wrapup_last_error" text`);
    await q.query(
      `CREATE INDEX "calls_wrapup_due_idx" ON "voice"."calls" ("wrapup_due_at") WHERE "wrapup_state" = 'pending'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "voice"."calls_wrapup_due_idx"`);
    await q.query(`ALTER TABLE "voice"."calls"
      DROP COLUMN "wrapup_last_error",
      DROP COLUMN "wrapup_started_at",
      DROP COLUMN "wrapup_attempts",
      DROP COLUMN "wrapup_due_at",
      DROP COLUMN "wrapup_state",
      DROP COLUMN "post_call_sms_error",
      DROP COLUMN "post_call_sms_id",
      DROP COLUMN "post_call_sms_state",
      DROP COLUMN "summary_state",
      DROP COLUMN "summary"`);
  }
}
