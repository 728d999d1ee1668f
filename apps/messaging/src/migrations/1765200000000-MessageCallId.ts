import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SMS a call asked for (`sms.call-send.v1`: the agent during the call, the
 * post-call template after it) name that call, so a call's messages can be
 * listed (`GET /v1/sms?call_id=`, voice's call detail).
 */
export class MessageCallId1765200000000 implements MigrationInterface {
  name = 'MessageCallId1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "messaging"."messages" ADD COLUMN "call_id" text`);
    await q.query(
      `CREATE INDEX "messages_account_call_idx" ON "messaging"."messages" ("account_id", "call_id", "created_at" DESC, "id" DESC) WHERE "call_id" IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "messaging"."messages_account_call_idx"`);
    await q.query(`ALTER TABLE "messaging"."messages" DROP COLUMN "call_id"`);
  }
}
