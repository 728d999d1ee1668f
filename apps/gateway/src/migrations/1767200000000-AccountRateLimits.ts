import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An account's own API quotas, requests per window (`npm run cli --
 * account:rate-limits`); a null quota, or no row, is the deployment's default
 * (RATE_LIMIT_KEY_PER_WINDOW, RATE_LIMIT_ACCOUNT_PER_WINDOW).
 */
export class AccountRateLimits1767200000000 implements MigrationInterface {
  name = 'AccountRateLimits1767200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "gateway"."account_rate_limits" (
      "account_id" text PRIMARY KEY REFERENCES "gateway"."accounts"("id"),
      "key_per_window" integer CHECK ("key_per_window" > 0),
      "account_per_window" integer CHECK ("account_per_window" > 0),
      "updated_at" timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "gateway"."account_rate_limits"`);
  }
}
