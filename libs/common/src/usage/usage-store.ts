import { DataSource, EntityManager } from 'typeorm';
import type { LlmUsagePurpose, UsageCommand, UsageSliceRow } from '../contracts';

/** One reply's, turn's or summary's tokens, as stored. */
export interface UsageRecord {
  /** What it belongs to, unique per purpose: the inbound message, `<call>:<turn seq>`, `<call>:summary`. */
  sourceId: string;
  purpose: LlmUsagePurpose;
  accountId: string;
  agentId: string | null;
  number: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  occurredAt: Date;
}

/**
 * Every statement on a service's `llm_usage` and `account_token_budgets`
 * (messaging and voice each keep both in their own schema, same shape).
 */
export class LlmUsageStore {
  constructor(
    private readonly ds: DataSource,
    private readonly schema: string,
  ) {}

  /** Idempotent: a source is counted once per purpose (a redone reply or wrap-up adds nothing). */
  async record(m: EntityManager, r: UsageRecord): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `INSERT INTO "${this.schema}"."llm_usage"
         ("source_id", "purpose", "account_id", "agent_id", "number", "model", "prompt_tokens",
          "completion_tokens", "occurred_at")
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT ("purpose", "source_id") DO NOTHING RETURNING 1`,
      [
        r.sourceId,
        r.purpose,
        r.accountId,
        r.agentId,
        r.number,
        r.model,
        r.promptTokens,
        r.completionTokens,
        r.occurredAt,
      ],
    );
    return rows.length > 0;
  }

  /** The account's tokens recorded in [from, to). */
  async total(accountId: string, from: Date, to: Date): Promise<number> {
    const rows: { total: string | null }[] = await this.ds.query(
      `SELECT SUM("prompt_tokens" + "completion_tokens") AS "total" FROM "${this.schema}"."llm_usage"
       WHERE "account_id" = $1 AND "occurred_at" >= $2 AND "occurred_at" < $3`,
      [accountId, from, to],
    );
    return Number(rows[0]?.total ?? 0);
  }

  /** By UTC day, agent and purpose, within the command's range. */
  async byDay(cmd: UsageCommand): Promise<UsageSliceRow[]> {
    const rows: {
      date: string;
      agent_id: string | null;
      purpose: LlmUsagePurpose;
      prompt_tokens: string;
      completion_tokens: string;
      count: string;
    }[] = await this.ds.query(
      `SELECT to_char("occurred_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "date", "agent_id", "purpose",
              SUM("prompt_tokens") AS "prompt_tokens", SUM("completion_tokens") AS "completion_tokens",
              COUNT(*) AS "count"
       FROM "${this.schema}"."llm_usage"
       WHERE "account_id" = $1 AND "occurred_at" >= $2 AND "occurred_at" < $3
         AND ($4::text IS NULL OR "agent_id" = $4)
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [cmd.account_id, new Date(cmd.from), new Date(cmd.to_exclusive), cmd.agent_id ?? null],
    );
    return rows.map((r) => ({
      date: r.date,
      agent_id: r.agent_id,
      purpose: r.purpose,
      prompt_tokens: Number(r.prompt_tokens),
      completion_tokens: Number(r.completion_tokens),
      count: Number(r.count),
    }));
  }

  /** The account's own budget; undefined when none was ever set (the default applies), null = set back to default. */
  async budgetOverride(accountId: string): Promise<number | null | undefined> {
    const rows: { monthly_token_budget: string | null }[] = await this.ds.query(
      `SELECT "monthly_token_budget" FROM "${this.schema}"."account_token_budgets" WHERE "account_id" = $1`,
      [accountId],
    );
    if (rows.length === 0) return undefined;
    const v = rows[0].monthly_token_budget;
    return v === null ? null : Number(v);
  }

  /** Stores `version` unless a newer (or the same) one is already stored: replays and reordering change nothing. */
  async applyBudgetIfNewer(accountId: string, budget: number | null, version: number): Promise<void> {
    await this.ds.query(
      `INSERT INTO "${this.schema}"."account_token_budgets" ("account_id", "monthly_token_budget", "version", "updated_at")
       VALUES ($1, $2, $3, now())
       ON CONFLICT ("account_id") DO UPDATE
         SET "monthly_token_budget" = EXCLUDED."monthly_token_budget", "version" = EXCLUDED."version",
             "updated_at" = now()
         WHERE "account_token_budgets"."version" < EXCLUDED."version"`,
      [accountId, budget, version],
    );
  }
}

/** The two tables, for a service's migration (`schema` is the service's). */
export function llmUsageTablesUp(schema: string): string[] {
  return [
    `CREATE TABLE "${schema}"."llm_usage" (
      "id" bigserial PRIMARY KEY,
      "source_id" text NOT NULL,
      "purpose" text NOT NULL CHECK ("purpose" IN ('sms_reply', 'call_turn', 'call_summary')),
      "account_id" text NOT NULL,
      "agent_id" text,
      "number" text NOT NULL,
      "model" text NOT NULL,
      "prompt_tokens" integer NOT NULL CHECK ("prompt_tokens" >= 0),
      "completion_tokens" integer NOT NULL CHECK ("completion_tokens" >= 0),
      "occurred_at" timestamptz NOT NULL,
      UNIQUE ("purpose", "source_id")
    )`,
    `CREATE INDEX "llm_usage_account_time" ON "${schema}"."llm_usage" ("account_id", "occurred_at")`,
    `CREATE TABLE "${schema}"."account_token_budgets" (
      "account_id" text PRIMARY KEY,
      "monthly_token_budget" bigint,
      "version" integer NOT NULL,
      "updated_at" timestamptz NOT NULL DEFAULT now()
    )`,
  ];
}

export function llmUsageTablesDown(schema: string): string[] {
  return [`DROP TABLE "${schema}"."account_token_budgets"`, `DROP TABLE "${schema}"."llm_usage"`];
}
