import type { RateLimitSettings } from '@nixflex/common';
import type { DataSource } from 'typeorm';

/** An account's API quotas (requests per window), as `npm run cli -- account:rate-limits` prints them. */
export interface AccountRateLimitsView {
  account_id: string;
  /** What applies: the override, else the default. */
  key_per_window: number;
  account_per_window: number;
  window_s: number;
  /** The account's own quotas; null where the default applies. */
  overrides: { key_per_window: number | null; account_per_window: number | null };
  updated_at: string | null;
}

/** A change: a number sets the override, null returns to the default, undefined keeps it. */
export interface RateLimitsChange {
  key_per_window?: number | null;
  account_per_window?: number | null;
}

interface Row {
  key_per_window: number | null;
  account_per_window: number | null;
  updated_at: Date;
}

/**
 * Per-account overrides of the API quotas (`gateway.account_rate_limits`),
 * read by the gateway per request through a short cache and written by the
 * CLI. Plain SQL on the data source so the CLI and the gateway share it.
 */
export class AccountRateLimits {
  constructor(
    private readonly ds: DataSource,
    private readonly settings: RateLimitSettings,
  ) {}

  async get(accountId: string): Promise<AccountRateLimitsView> {
    const rows: Row[] = await this.ds.query(
      `SELECT "key_per_window", "account_per_window", "updated_at"
       FROM "gateway"."account_rate_limits" WHERE "account_id" = $1`,
      [accountId],
    );
    return this.view(accountId, rows[0]);
  }

  async set(accountId: string, change: RateLimitsChange): Promise<AccountRateLimitsView> {
    const exists: unknown[] = await this.ds.query(`SELECT 1 FROM "gateway"."accounts" WHERE "id" = $1`, [
      accountId,
    ]);
    if (exists.length === 0) throw new Error(`account ${accountId} does not exist`);
    const key = change.key_per_window !== undefined;
    const account = change.account_per_window !== undefined;
    const rows: Row[] = await this.ds.query(
      `INSERT INTO "gateway"."account_rate_limits" ("account_id", "key_per_window", "account_per_window")
       VALUES ($1, $2, $3)
       ON CONFLICT ("account_id") DO UPDATE SET
         "key_per_window" = CASE WHEN $4 THEN EXCLUDED."key_per_window" ELSE "account_rate_limits"."key_per_window" END,
         "account_per_window" = CASE WHEN $5 THEN EXCLUDED."account_per_window" ELSE "account_rate_limits"."account_per_window" END,
         "updated_at" = now()
       RETURNING "key_per_window", "account_per_window", "updated_at"`,
      [accountId, change.key_per_window ?? null, change.account_per_window ?? null, key, account],
    );
    return this.view(accountId, rows[0]);
  }

  private view(accountId: string, row: Row | undefined): AccountRateLimitsView {
    const overrides = {
      key_per_window: row?.key_per_window ?? null,
      account_per_window: row?.account_per_window ?? null,
    };
    return {
      account_id: accountId,
      key_per_window: overrides.key_per_window ?? this.settings.keyPerWindow,
      account_per_window: overrides.account_per_window ?? this.settings.accountPerWindow,
      window_s: this.settings.windowS,
      overrides,
      updated_at: row ? new Date(row.updated_at).toISOString() : null,
    };
  }
}

/** Requests per window one account may make: per key and for the whole account. */
export interface Quotas {
  key: number;
  account: number;
}

/**
 * The quotas of an account, read from the database at most once per
 * `overrideCacheMs` per account and process, so an override set by the CLI
 * reaches every gateway replica within that time without a restart. When the
 * read fails the last known quotas (else the defaults) apply.
 */
export class QuotaCache {
  private readonly entries = new Map<string, { quotas: Quotas; until: number }>();

  constructor(
    private readonly limits: AccountRateLimits,
    private readonly settings: RateLimitSettings,
    private readonly onError: (err: Error) => void,
  ) {}

  async quotas(accountId: string, now = Date.now()): Promise<Quotas> {
    const hit = this.entries.get(accountId);
    if (hit && hit.until > now) return hit.quotas;
    let quotas: Quotas;
    try {
      const v = await this.limits.get(accountId);
      quotas = { key: v.key_per_window, account: v.account_per_window };
    } catch (err) {
      this.onError(err as Error);
      quotas = hit?.quotas ?? { key: this.settings.keyPerWindow, account: this.settings.accountPerWindow };
    }
    if (this.entries.size >= 100_000) this.entries.clear();
    this.entries.set(accountId, { quotas, until: now + this.settings.overrideCacheMs });
    return quotas;
  }
}
