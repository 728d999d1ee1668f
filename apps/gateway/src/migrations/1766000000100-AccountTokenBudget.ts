import { MigrationInterface, QueryRunner } from 'typeorm';

/** An account's own monthly LLM token budget; null = the deployment's default (LLM_MONTHLY_TOKEN_BUDGET). */
export class AccountTokenBudget1766000000100 implements MigrationInterface {
  name = 'AccountTokenBudget1766000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "gateway"."account_settings" ADD COLUMN "monthly_token_budget" bigint CHECK ("monthly_token_budget" >= 0)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "gateway"."account_settings" DROP COLUMN "monthly_token_budget"`);
  }
}
