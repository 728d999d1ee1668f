import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An account's own API rates (`npm run cli -- account:rate-limits`); a null
 * rate, or no row, is the deployment's default (RATE_LIMIT_*_PER_SECOND).
 */
export class AccountRateLimits1767200000000 implements MigrationInterface {
  name = 'AccountRateLimits1767200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "gateway"."account_rate_limits" (
      "account_id" text PRIMARY KEY REFERENCES "gateway"."accounts"("id"),
      "key_per_second" integer CHECK ("key_per_second" > 0),
      "account_per_second" integer CHECK ("account_per_second" > 0),
      "updated_at" timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "gateway"."account_rate_limits"`);
  }
}
