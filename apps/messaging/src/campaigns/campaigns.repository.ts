import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  CampaignRecipientState,
  CampaignSkipReason,
  TransactionalRepository,
  queryPrepared,
} from '@nixflex/common';
import type { CostEstimate } from '@nixflex/common/sms';
import { DataSource, EntityManager, In } from 'typeorm';
import { OptOut } from '../opt-outs/opt-out.entity';
import { SmsMessage, SmsStatusHistory, messageInsert } from '../sms/data';
import { columnOf, tableOf } from '../sms/data/sql-names';
import { statusRank } from '../sms/status/status-rules';
import { Campaign, CampaignRecipient, StoredCampaignStatus } from './campaign.entities';
import type { CheckedRecipient } from './recipient-check';

/** A message canceled because its recipient sent STOP counts as skipped `opted_out`. */
export const OPTED_OUT_CODE = 'recipient_opted_out';
/** The error code a campaign's cancel gives the messages it stops. */
export const CAMPAIGN_CANCELED_CODE = 'campaign_canceled';

/**
 * A recipient's state from its row (`r`, when `withRecipient`: a recipient
 * skipped at intake has no message), its message (`m`) and its campaign
 * (`c`): one SQL expression, so the counts, the list and its filter agree.
 */
const stateSql = ({ withRecipient }: { withRecipient: boolean }): string => `CASE
  ${withRecipient ? `WHEN r."skip_reason" IS NOT NULL THEN 'skipped'` : ''}
  WHEN m."status" = 'scheduled' AND m."scheduled_for" > c."starts_at" THEN 'deferred'
  WHEN m."status" = 'scheduled' THEN 'pending'
  WHEN m."status" IN ('queued', 'accepted', 'sending') THEN 'queued'
  WHEN m."status" = 'sent' THEN 'sent'
  WHEN m."status" IN ('delivered', 'read', 'partially_delivered') THEN 'delivered'
  WHEN m."status" = 'undelivered' THEN 'undelivered'
  WHEN m."status" = 'canceled' AND m."error_code" = '${OPTED_OUT_CODE}' THEN 'skipped'
  WHEN m."status" = 'canceled' THEN 'canceled'
  ELSE 'failed' END`;
const STATE_SQL = stateSql({ withRecipient: true });

/** Work the sender has not finished: the campaign is not complete while any message is in it. */
const UNFINISHED_SQL = `(m."status" = 'scheduled' OR m."dispatch_state" IN ('pending', 'in_flight', 'uncertain'))`;

export interface RecipientListRow {
  row_number: number;
  to_raw: string;
  to_number: string | null;
  variables: Record<string, string> | null;
  skip_reason: CampaignSkipReason | null;
  skip_message: string | null;
  message_id: string | null;
  scheduled_for: Date | null;
  error_code: string | null;
  state: CampaignRecipientState;
}

export interface CampaignTally {
  states: Partial<Record<CampaignRecipientState, number>>;
  skippedByReason: Partial<Record<CampaignSkipReason, number>>;
  /** Messages not yet handed to Twilio, and their segments. */
  remaining: number;
  remainingSegments: number;
  /** The latest release time among them. */
  lastScheduledFor: Date | null;
}

/** What `start` made of a draft. */
export type StartOutcome =
  | { kind: 'started'; campaign: Campaign }
  | { kind: 'already'; campaign: Campaign }
  | { kind: 'empty'; recipients: number; skippedByReason: Partial<Record<CampaignSkipReason, number>> }
  | { kind: 'not_found' };

/** Every statement on `campaigns` and `campaign_recipients`, and the campaign's set-based ones on `messages`. */
@Injectable()
export class CampaignsRepository extends TransactionalRepository {
  private readonly t: {
    campaigns: string;
    recipients: string;
    messages: string;
    history: string;
    optOuts: string;
  };
  private readonly optOutNumber: string;
  private readonly optOutRecipient: string;
  private readonly insertMessages: { columns: string; values: string };

  constructor(@InjectDataSource() ds: DataSource) {
    super(ds);
    this.t = {
      campaigns: tableOf(ds, Campaign),
      recipients: tableOf(ds, CampaignRecipient),
      messages: tableOf(ds, SmsMessage),
      history: tableOf(ds, SmsStatusHistory),
      optOuts: tableOf(ds, OptOut),
    };
    this.optOutNumber = columnOf(ds, OptOut, 'ourNumber');
    this.optOutRecipient = columnOf(ds, OptOut, 'recipient');
    // The campaign's messages, from its sendable recipients (`r`, with the
    // message id just given) and the campaign (`c`): stored `scheduled`, as a
    // single send with `send_at` is, and released by the same releaser.
    this.insertMessages = messageInsert({
      id: 'r."message_id"',
      accountId: 'c."account_id"',
      apiKeyId: 'c."api_key_id"',
      agentId: 'c."agent_id"',
      direction: `'outbound'`,
      source: `'campaign'`,
      fromNumber: 'c."from_number"',
      toNumber: 'r."to_number"',
      ourNumber: 'c."from_number"',
      otherParty: 'r."to_number"',
      body: 'r."body"',
      segments: 'r."segments"',
      encoding: 'r."encoding"',
      estimatedCost: 'r."estimated_cost"',
      campaignId: 'c."id"',
      scheduledFor: `COALESCE(($3::jsonb ->> r."country")::timestamptz, c."starts_at")`,
      expiresAt: 'c."expires_at"',
      status: `'scheduled'`,
      statusRank: '$2',
      statusChangedAt: '$4',
      softFailure: 'false',
      attempts: '0',
      createdAt: '$4',
      updatedAt: '$4',
    });
  }

  // --- intake --------------------------------------------------------------

  async insertDraft(c: Campaign): Promise<void> {
    await this.ds.getRepository(Campaign).insert(c);
  }

  findForAccount(accountId: string, id: string): Promise<Campaign | null> {
    return this.ds.getRepository(Campaign).findOneBy({ accountId, id });
  }

  findByKey(accountId: string, key: string): Promise<Campaign | null> {
    return this.ds.getRepository(Campaign).findOneBy({ accountId, idempotencyKey: key });
  }

  /** Deletes a draft (its recipients go with it); false when it is not a draft of this account. */
  async deleteDraft(accountId: string, id: string): Promise<boolean> {
    const result = await this.ds.getRepository(Campaign).delete({ accountId, id, status: 'draft' });
    return (result.affected ?? 0) > 0;
  }

  /** Frees an Idempotency-Key: a draft holding it is deleted, a started campaign past the key's lifetime lets go of it. */
  async forgetKey(c: Campaign): Promise<void> {
    if (c.status === 'draft') await this.ds.getRepository(Campaign).delete({ id: c.id, status: 'draft' });
    else await this.ds.getRepository(Campaign).update({ id: c.id }, { idempotencyKey: null });
  }

  /** Which of `recipients` opted out of `ourNumber`. */
  async optedOutAmong(ourNumber: string, recipients: string[]): Promise<Set<string>> {
    if (recipients.length === 0) return new Set();
    const rows = await this.ds.query<{ r: string }[]>(
      `SELECT ${this.optOutRecipient} AS r FROM ${this.t.optOuts}
        WHERE ${this.optOutNumber} = $1 AND ${this.optOutRecipient} = ANY($2)`,
      [ourNumber, recipients],
    );
    return new Set(rows.map((row) => row.r));
  }

  /**
   * Stores one chunk of checked rows. A row whose number is already a
   * sendable recipient of the campaign is stored skipped `duplicate`. A
   * chunk sent again (a retried command) changes nothing: rows are keyed by
   * their row number.
   */
  async insertRecipients(campaignId: string, rows: CheckedRecipient[]): Promise<number> {
    const record = (r: CheckedRecipient, skip: CheckedRecipient['skip']) => ({
      row_number: r.row,
      to_raw: r.toRaw,
      to_number: r.to,
      variables: r.variables,
      country: skip ? null : r.country,
      body: skip ? null : r.body,
      segments: skip ? null : r.segments,
      encoding: skip ? null : r.encoding,
      estimated_cost: skip ? null : r.cost,
      skip_reason: skip?.reason ?? null,
      skip_message: skip?.message ?? null,
    });
    const insert = `INSERT INTO ${this.t.recipients}
        ("campaign_id", "row_number", "to_raw", "to_number", "variables", "country", "body", "segments",
         "encoding", "estimated_cost", "skip_reason", "skip_message")
      SELECT $1, x."row_number", x."to_raw", x."to_number", x."variables", x."country", x."body", x."segments",
             x."encoding", x."estimated_cost", x."skip_reason", x."skip_message"
        FROM jsonb_to_recordset($2::jsonb) AS x("row_number" int, "to_raw" text, "to_number" text, "variables" jsonb,
             "country" text, "body" text, "segments" int, "encoding" text, "estimated_cost" jsonb,
             "skip_reason" text, "skip_message" text)
      ON CONFLICT DO NOTHING RETURNING "row_number"`;
    return this.transaction(async (m) => {
      const sendable = rows.filter((r) => r.skip === null);
      const stored = await m.query<{ row_number: number }[]>(insert, [
        campaignId,
        JSON.stringify(sendable.map((r) => record(r, null))),
      ]);
      const took = new Set(stored.map((s) => s.row_number));
      const skipped = [
        ...rows.filter((r) => r.skip !== null).map((r) => record(r, r.skip)),
        ...sendable
          .filter((r) => !took.has(r.row))
          .map((r) =>
            record(r, { reason: 'duplicate', message: `${r.to} is already a recipient of this campaign` }),
          ),
      ];
      if (skipped.length > 0) await m.query(insert, [campaignId, JSON.stringify(skipped)]);
      return rows.length;
    });
  }

  /**
   * The draft becomes a running campaign in ONE transaction: recipients who
   * opted out since their chunk are skipped, every sendable recipient gets
   * its message (`scheduled` for the campaign's start, or the end of quiet
   * hours in its country: `releaseByCountry`), and the totals are stored. A
   * draft with nothing to send is deleted (`empty`). A campaign already
   * started is returned as it is (a retried start).
   */
  async start(
    accountId: string,
    id: string,
    startsAt: Date,
    timing: { release: Record<string, Date>; blocked: string[] },
    scheduledRank: number,
  ): Promise<StartOutcome> {
    return this.transaction(async (m) => {
      const [c] = await m.query<{ status: StoredCampaignStatus }[]>(
        `SELECT "status" FROM ${this.t.campaigns} WHERE "id" = $1 AND "account_id" = $2 FOR UPDATE`,
        [id, accountId],
      );
      if (!c) return { kind: 'not_found' };
      if (c.status !== 'draft') return { kind: 'already', campaign: await this.lockedCampaign(m, id) };
      if (timing.blocked.length > 0) {
        await m.query(
          `UPDATE ${this.t.recipients} SET "skip_reason" = 'quiet_hours_unsupported_country',
                  "skip_message" = 'The account''s quiet hours leave no time of day open in ' || "country"
            WHERE "campaign_id" = $1 AND "skip_reason" IS NULL AND "country" = ANY($2)`,
          [id, timing.blocked],
        );
      }
      await m.query(
        `UPDATE ${this.t.recipients} r SET "skip_reason" = 'opted_out',
                "skip_message" = r."to_number" || ' opted out of messages from this number'
           FROM ${this.t.campaigns} c
          WHERE r."campaign_id" = $1 AND c."id" = r."campaign_id" AND r."skip_reason" IS NULL
            AND EXISTS (SELECT 1 FROM ${this.t.optOuts} o
                         WHERE o.${this.optOutNumber} = c."from_number" AND o.${this.optOutRecipient} = r."to_number")`,
        [id],
      );
      const [totals] = await m.query<
        {
          total: number;
          sendable: number;
          over_600: number;
          segments: number;
          amount: string | null;
          currency: string | null;
        }[]
      >(
        `SELECT count(*)::int AS "total",
                count(*) FILTER (WHERE "skip_reason" IS NULL)::int AS "sendable",
                count(*) FILTER (WHERE "skip_reason" IS NULL AND char_length("body") > 600)::int AS "over_600",
                COALESCE(sum("segments") FILTER (WHERE "skip_reason" IS NULL), 0)::int AS "segments",
                sum(("estimated_cost" ->> 'amount')::numeric) FILTER (WHERE "skip_reason" IS NULL)::text AS "amount",
                min("estimated_cost" ->> 'currency') AS "currency"
           FROM ${this.t.recipients} WHERE "campaign_id" = $1`,
        [id],
      );
      if (totals.sendable === 0) {
        const skippedByReason = await this.skipReasons(m, [id]);
        await m.query(`DELETE FROM ${this.t.campaigns} WHERE "id" = $1`, [id]);
        return { kind: 'empty', recipients: totals.total, skippedByReason: skippedByReason.get(id) ?? {} };
      }
      const now = new Date();
      await m.query(`UPDATE ${this.t.campaigns} SET "starts_at" = $2 WHERE "id" = $1`, [id, startsAt]);
      await m.query(
        `WITH r AS (
           UPDATE ${this.t.recipients}
              SET "message_id" = 'msg_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 16)
            WHERE "campaign_id" = $1 AND "skip_reason" IS NULL
            RETURNING *
         ), msg AS (
           INSERT INTO ${this.t.messages} (${this.insertMessages.columns})
           SELECT ${this.insertMessages.values} FROM r JOIN ${this.t.campaigns} c ON c."id" = r."campaign_id"
           RETURNING "id"
         )
         INSERT INTO ${this.t.history} ("message_id", "status", "source", "occurred_at")
         SELECT "id", 'scheduled', 'api', $4 FROM msg`,
        [id, scheduledRank, JSON.stringify(timing.release), now],
      );
      const cost: CostEstimate | null =
        totals.amount === null
          ? null
          : {
              amount: Math.round(Number(totals.amount) * 10_000) / 10_000,
              currency: (totals.currency ?? 'GBP') as CostEstimate['currency'],
              per_segment:
                totals.segments > 0
                  ? Math.round((Number(totals.amount) / totals.segments) * 10_000) / 10_000
                  : 0,
            };
      await m.query(
        `UPDATE ${this.t.campaigns}
            SET "status" = 'running', "recipients_total" = $2, "skipped_total" = $3, "over_600" = $4,
                "segments_total" = $5, "estimated_cost" = $6::jsonb, "updated_at" = $7
          WHERE "id" = $1`,
        [
          id,
          totals.total,
          totals.total - totals.sendable,
          totals.over_600,
          totals.segments,
          cost === null ? null : JSON.stringify(cost),
          now,
        ],
      );
      return { kind: 'started', campaign: await this.lockedCampaign(m, id) };
    });
  }

  /** The countries of a draft's sendable recipients (its quiet hours are decided per country). */
  async sendableCountries(id: string): Promise<string[]> {
    const rows = await this.ds.query<{ country: string }[]>(
      `SELECT DISTINCT "country" FROM ${this.t.recipients}
        WHERE "campaign_id" = $1 AND "skip_reason" IS NULL AND "country" IS NOT NULL`,
      [id],
    );
    return rows.map((r) => r.country);
  }

  private async lockedCampaign(m: EntityManager, id: string): Promise<Campaign> {
    return m.getRepository(Campaign).findOneByOrFail({ id });
  }

  // --- control -------------------------------------------------------------

  /** Moves a campaign from one of `from` to `to`, stamping `stamp`; the campaign after, or null if it was not in `from`. */
  async transition(
    accountId: string,
    id: string,
    from: StoredCampaignStatus[],
    to: StoredCampaignStatus,
    stamp: 'paused_at' | 'canceled_at' | null,
  ): Promise<Campaign | null> {
    const sets = [`"status" = $4`, `"updated_at" = now()`];
    if (stamp) sets.push(`"${stamp}" = now()`);
    if (to === 'running') sets.push(`"paused_at" = NULL`);
    const rows = await queryPrepared<{ id: string }>(
      this.ds,
      `campaign_transition_${to}`,
      `UPDATE ${this.t.campaigns} SET ${sets.join(', ')}
        WHERE "id" = $1 AND "account_id" = $2 AND "status" = ANY($3) RETURNING "id"`,
      [id, accountId, from, to],
    );
    return rows.length === 0 ? null : this.findForAccount(accountId, id);
  }

  /**
   * Cancels a campaign and, in the same transaction, every message of it
   * not yet handed to Twilio: `scheduled`, or `queued` and not claimed by a
   * sender (a claimed one may already be at Twilio: it goes, and is never
   * claimed to be unsent). Each gets a history row. Null when the campaign
   * was not running or paused.
   */
  async cancel(accountId: string, id: string): Promise<Campaign | null> {
    return this.transaction(async (m) => {
      const rows = await queryPrepared<{ id: string }>(
        m,
        'campaign_cancel',
        `UPDATE ${this.t.campaigns} SET "status" = 'canceled', "canceled_at" = now(), "updated_at" = now()
          WHERE "id" = $1 AND "account_id" = $2 AND "status" IN ('running', 'paused') RETURNING "id"`,
        [id, accountId],
      );
      if (rows.length === 0) return null;
      await m.query(
        `WITH msg AS (
           UPDATE ${this.t.messages}
              SET "status" = 'canceled', "status_rank" = $2, "status_changed_at" = now(), "error_code" = $3,
                  "error_message" = 'The campaign was canceled before this message was sent',
                  "dispatch_state" = CASE WHEN "dispatch_state" IS NULL THEN NULL ELSE 'failed' END,
                  "next_attempt_at" = NULL, "updated_at" = now()
            WHERE "campaign_id" = $1 AND "twilio_sid" IS NULL
              AND ("status" = 'scheduled' OR ("status" = 'queued' AND "dispatch_state" = 'pending'))
            RETURNING "id"
         )
         INSERT INTO ${this.t.history} ("message_id", "status", "error_code", "source", "occurred_at")
         SELECT "id", 'canceled', $3, 'api', now() FROM msg`,
        [id, statusRank('canceled'), CAMPAIGN_CANCELED_CODE],
      );
      return m.getRepository(Campaign).findOneByOrFail({ id });
    });
  }

  /**
   * Running or canceled campaigns with nothing left for the sender, locked,
   * marked completed (a canceled one keeps its status) in `m`'s transaction.
   */
  async completeFinished(m: EntityManager, limit: number): Promise<Campaign[]> {
    const rows = await queryPrepared<{ id: string }>(
      m,
      'campaign_complete_finished',
      `UPDATE ${this.t.campaigns} c
          SET "status" = CASE WHEN c."status" = 'canceled' THEN 'canceled' ELSE 'completed' END,
              "completed_at" = now(), "updated_at" = now()
        WHERE c."id" IN (
          SELECT c2."id" FROM ${this.t.campaigns} c2
           WHERE c2."status" IN ('running', 'canceled') AND c2."completed_at" IS NULL
             AND NOT EXISTS (SELECT 1 FROM ${this.t.messages} m WHERE m."campaign_id" = c2."id" AND ${UNFINISHED_SQL})
           LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING c."id"`,
      [limit],
    );
    if (rows.length === 0) return [];
    return m.getRepository(Campaign).findBy({ id: In(rows.map((r) => r.id)) });
  }

  // --- queries -------------------------------------------------------------

  /** Counts by state and skip reason, and what is left to send, of each campaign. */
  async tallies(ids: string[], m: EntityManager | DataSource = this.ds): Promise<Map<string, CampaignTally>> {
    const out = new Map<string, CampaignTally>();
    for (const id of ids) {
      out.set(id, {
        states: {},
        skippedByReason: {},
        remaining: 0,
        remainingSegments: 0,
        lastScheduledFor: null,
      });
    }
    if (ids.length === 0) return out;
    const states = await m.query<
      { campaign_id: string; state: CampaignRecipientState; n: number; segments: number; last: Date | null }[]
    >(
      `SELECT m."campaign_id", ${stateSql({ withRecipient: false })} AS "state",
              count(*)::int AS "n", sum(m."segments")::int AS "segments", max(m."scheduled_for") AS "last"
         FROM ${this.t.messages} m JOIN ${this.t.campaigns} c ON c."id" = m."campaign_id"
        WHERE m."campaign_id" = ANY($1) AND m."direction" = 'outbound'
        GROUP BY 1, 2`,
      [ids],
    );
    for (const row of states) {
      const tally = out.get(row.campaign_id)!;
      tally.states[row.state] = (tally.states[row.state] ?? 0) + row.n;
      if (row.state === 'pending' || row.state === 'deferred' || row.state === 'queued') {
        tally.remaining += row.n;
        tally.remainingSegments += row.segments;
        if (row.last && (!tally.lastScheduledFor || row.last > tally.lastScheduledFor))
          tally.lastScheduledFor = row.last;
      }
    }
    const optedOut = await m.query<{ campaign_id: string; n: number }[]>(
      `SELECT "campaign_id", count(*)::int AS "n" FROM ${this.t.messages}
        WHERE "campaign_id" = ANY($1) AND "status" = 'canceled' AND "error_code" = $2 GROUP BY 1`,
      [ids, OPTED_OUT_CODE],
    );
    const reasons = await this.skipReasons(m, ids);
    for (const id of ids) {
      const tally = out.get(id)!;
      const byReason = reasons.get(id) ?? {};
      const stopped = optedOut.find((r) => r.campaign_id === id)?.n ?? 0;
      if (stopped > 0) byReason.opted_out = (byReason.opted_out ?? 0) + stopped;
      tally.skippedByReason = byReason;
      const skippedRows = Object.values(reasons.get(id) ?? {}).reduce((a, b) => a + b, 0);
      tally.states.skipped = (tally.states.skipped ?? 0) + skippedRows;
    }
    return out;
  }

  private async skipReasons(
    m: EntityManager | DataSource,
    ids: string[],
  ): Promise<Map<string, Partial<Record<CampaignSkipReason, number>>>> {
    const rows = await m.query<{ campaign_id: string; reason: CampaignSkipReason; n: number }[]>(
      `SELECT "campaign_id", "skip_reason" AS "reason", count(*)::int AS "n" FROM ${this.t.recipients}
        WHERE "campaign_id" = ANY($1) AND "skip_reason" IS NOT NULL GROUP BY 1, 2`,
      [ids],
    );
    const out = new Map<string, Partial<Record<CampaignSkipReason, number>>>();
    for (const row of rows) {
      const byReason = out.get(row.campaign_id) ?? {};
      byReason[row.reason] = row.n;
      out.set(row.campaign_id, byReason);
    }
    return out;
  }

  /** An account's started campaigns, newest first, after the cursor's (created_at, id). */
  list(
    accountId: string,
    status: StoredCampaignStatus | 'scheduled' | undefined,
    now: Date,
    after: { createdAt: Date; id: string } | null,
    limit: number,
  ): Promise<Campaign[]> {
    const qb = this.ds
      .getRepository(Campaign)
      .createQueryBuilder('c')
      .where('c.account_id = :accountId', { accountId })
      .andWhere(`c.status <> 'draft'`);
    if (status === 'scheduled') qb.andWhere(`c.status = 'running' AND c.starts_at > :now`, { now });
    else if (status === 'running') qb.andWhere(`c.status = 'running' AND c.starts_at <= :now`, { now });
    else if (status !== undefined) qb.andWhere('c.status = :status', { status });
    if (after) qb.andWhere('(c.created_at, c.id) < (:at, :id)', { at: after.createdAt, id: after.id });
    return qb.orderBy('c.created_at', 'DESC').addOrderBy('c.id', 'DESC').limit(limit).getMany();
  }

  /** A campaign's recipients in row order after `afterRow`, optionally in one state. */
  recipients(
    campaignId: string,
    state: CampaignRecipientState | undefined,
    afterRow: number,
    limit: number,
  ): Promise<RecipientListRow[]> {
    const params: unknown[] = [campaignId, afterRow, limit];
    let filter = '';
    if (state) {
      params.push(state);
      filter = `AND ${STATE_SQL} = $4`;
    }
    return this.ds.query<RecipientListRow[]>(
      `SELECT r."row_number", r."to_raw", r."to_number", r."variables", r."skip_reason", r."skip_message",
              r."message_id", m."scheduled_for", m."error_code", ${STATE_SQL} AS "state"
         FROM ${this.t.recipients} r
         JOIN ${this.t.campaigns} c ON c."id" = r."campaign_id"
         LEFT JOIN ${this.t.messages} m ON m."id" = r."message_id"
        WHERE r."campaign_id" = $1 AND r."row_number" > $2 ${filter}
        ORDER BY r."row_number" LIMIT $3`,
      params,
    );
  }
}
