import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  CustomerEventEmit,
  InboxEntry,
  Outbox,
  Page,
  SmsStatusUpdatedEvent,
  queryPrepared,
} from '@nixflex/common';
import { keysetPage } from '@nixflex/common/db/keyset';
import type { SmsStatus } from '@nixflex/common/sms';
import { DataSource, EntityManager, In } from 'typeorm';
import { Campaign } from '../../campaigns/campaign.entities';
import { OptOut } from '../../opt-outs/opt-out.entity';
import type { SmsStatusUpdatedData } from '../status/status-customer-event';
import type { CallbackOutcome, CallbackOutcomeTable } from '../status/status-rules';
import { columnOf, tableOf } from './sql-names';
import {
  DispatchState,
  HistorySource,
  MessageRow,
  SmsMessage,
  SmsStatusCallback,
  SmsStatusHistory,
  messageFromRow,
  messageInsert,
} from './sms.entities';
import { TransactionalRepository } from '@nixflex/common/db';

const SID = /^(SM|MM)[0-9a-fA-F]{32}$/;

export interface ListFilter {
  accountId: string;
  agentId?: string;
  fromNumber?: string;
  toNumber?: string;
  status?: string;
  callId?: string;
  cursor?: string;
  limit?: number;
}

export interface QueuedOutbound {
  id: string;
  accountId: string;
  apiKeyId: string | null;
  agentId: string;
  source: string;
  from: string;
  to: string;
  body: string;
  segments: number;
  encoding: string;
  estimatedCost: unknown;
  inReplyTo: string | null;
  callId: string | null;
  /** Not handed to Twilio by then: `failed` with `expired`; null or absent: no limit. */
  expiresAt?: Date | null;
  statusRank: number;
  at: Date;
}

/** A message accepted to go later: stored `scheduled`, released at `scheduledFor`. */
export interface ScheduledOutbound extends QueuedOutbound {
  scheduledFor: Date;
}

/** An outbox row's values, as `Outbox.row` builds them, for an insert folded into a statement. */
export interface OutboxValues {
  id: string;
  routing_key: string;
  payload: string;
}

/** A status change as `applyStatus` writes it (the message's columns, its history row). */
export interface StatusWrite {
  id: string;
  status: SmsStatus;
  statusRank: number;
  at: Date;
  errorCode: string | null;
  errorMessage: string | null;
  errorFetchAfter: Date | null;
  historyErrorCode: string | null;
  source: HistorySource;
}

/** A verified Twilio status callback. */
export interface CallbackFacts {
  sid: string;
  rawStatus: string;
  errorCode: string | null;
  accountSid: string;
  at: Date;
}

/**
 * The fields of `sms.status-updated.v1` that only the locked row knows, with
 * the SQL expression of the callback statement giving each one. The rest of
 * the event (`StatusEventFromCaller`) is built in TypeScript and merged in:
 * together they are the contract type, so a change to the contract does not
 * compile until both halves follow it.
 */
const STATUS_EVENT_FROM_ROW = {
  message_id: 'm."id"',
  account_id: 'm."account_id"',
  agent_id: 'm."agent_id"',
  twilio_sid: 'm."twilio_sid"',
  previous_status: 'v."previous_status"',
  error_code: 'm."error_code"',
} as const satisfies Partial<Record<keyof SmsStatusUpdatedEvent, string>>;

export type StatusEventFromCaller = Omit<SmsStatusUpdatedEvent, keyof typeof STATUS_EVENT_FROM_ROW>;

/**
 * The same split for the `sms.status_updated` customer event of an outbound
 * message: `msg` is the applied row (the fields above), `c` the message as
 * it was before the statement (its numbers, and its error text when the
 * callback brought no code). Its id is `smsStatusEventId` in SQL.
 */
const STATUS_CUSTOMER_EVENT_FROM_ROW = {
  event_id: `'evt_sms_status_' || msg."message_id" || '_' || $6::text`,
  account_id: 'msg."account_id"',
  phone_number: 'c."from_number"',
  agent_id: 'msg."agent_id"',
} as const satisfies Partial<Record<keyof CustomerEventEmit, string>>;

const STATUS_CUSTOMER_DATA_FROM_ROW = {
  message_id: 'msg."message_id"',
  previous_status: 'msg."previous_status"',
  error_code: 'msg."error_code"',
  error_message: 'CASE WHEN $9::text IS NULL THEN c."error_message" ELSE $19 END',
  twilio_sid: 'msg."twilio_sid"',
  to: 'c."to_number"',
  from_number: 'c."from_number"',
  call_id: 'c."call_id"',
} as const satisfies Partial<Record<keyof SmsStatusUpdatedData, string>>;

/**
 * `sms.status-updated.v1` and the `sms.status_updated` customer event of a
 * message that `endWaiting` ended, built in SQL from its row (`msg`) and the
 * statement's parameters ($1 status, $4 the time as ISO text, $7 our wording
 * of the code). Typed against the contracts, so a change to them does not
 * compile until this follows.
 */
const ENDED_STATUS_EVENT = {
  message_id: 'msg."message_id"',
  account_id: 'msg."account_id"',
  agent_id: 'msg."agent_id"',
  twilio_sid: 'msg."twilio_sid"',
  status: '$1::text',
  previous_status: 'msg."previous_status"',
  error_code: 'msg."error_code"',
  soft_failure: 'false',
  at: '$4::text',
} as const satisfies Record<keyof SmsStatusUpdatedEvent, string>;

const ENDED_CUSTOMER_EVENT = {
  event_id: `'evt_sms_status_' || msg."message_id" || '_' || $1::text`,
  account_id: 'msg."account_id"',
  phone_number: 'msg."from_number"',
  agent_id: 'msg."agent_id"',
  type: `'sms.status_updated'`,
  occurred_at: '$4::text',
} as const satisfies Record<Exclude<keyof CustomerEventEmit, 'data'>, string>;

const ENDED_CUSTOMER_DATA = {
  message_id: 'msg."message_id"',
  status: '$1::text',
  previous_status: 'msg."previous_status"',
  error_code: 'msg."error_code"',
  error_message: '$7::text',
  soft_failure: 'false',
  twilio_sid: 'msg."twilio_sid"',
  to: 'msg."to_number"',
  from_number: 'msg."from_number"',
  call_id: 'msg."call_id"',
  at: '$4::text',
} as const satisfies Record<keyof SmsStatusUpdatedData, string>;

/** How `endWaiting` ends messages: the final status, its code and wording, and the history's source. */
export interface WaitingEnd {
  status: 'failed' | 'canceled';
  statusRank: number;
  at: Date;
  errorCode: string;
  errorMessage: string;
  /** Our wording of the code for the customer event (`customerErrorMessage`). */
  customerErrorMessage: string | null;
  source: HistorySource;
  routingKey: string;
  customerRoutingKey: string;
}

export type StatusCustomerEventFromCaller = Omit<
  CustomerEventEmit,
  keyof typeof STATUS_CUSTOMER_EVENT_FROM_ROW | 'data'
> & { data: Omit<SmsStatusUpdatedData, keyof typeof STATUS_CUSTOMER_DATA_FROM_ROW> };

function jsonObject(fields: Record<string, string>): string {
  return `jsonb_build_object(${Object.entries(fields)
    .map(([k, expr]) => `'${k}', ${expr}`)
    .join(', ')})`;
}

/** What the callback statement applies when the decision table says `applied`. */
export interface CallbackChange {
  /** Null when Twilio's status string is not one we know (the table then says `unknown_status`). */
  status: SmsStatus | null;
  statusRank: number | null;
  /** `callbackOutcomeTable(status)` of the status module: the decision, per current status. */
  outcomes: CallbackOutcomeTable;
  errorMessage: string | null;
  errorFetchAfter: Date | null;
  /** The event's fields that do not come from the row; null when nothing can be applied. */
  event: StatusEventFromCaller | null;
  eventId: string;
  routingKey: string;
  /** The customer event's fields that do not come from the row; null when nothing can be applied. */
  customerEvent: StatusCustomerEventFromCaller | null;
  customerEventId: string;
  customerRoutingKey: string;
  /** Our wording of the callback's error code (`customerErrorMessage`). */
  customerErrorMessage: string | null;
}

/** The columns of an accepted outbound message, as `insertQueuedOutbound`'s parameters give them. */
const QUEUED_DEFAULTS = {
  id: '$1',
  accountId: '$2',
  apiKeyId: '$3',
  agentId: '$4',
  direction: `'outbound'`,
  source: '$5',
  fromNumber: '$7',
  toNumber: '$8',
  ourNumber: '$7',
  otherParty: '$8',
  body: '$9',
  segments: '$10',
  encoding: '$11',
  estimatedCost: '$12::jsonb',
  inReplyTo: '$13',
  callId: '$18',
  expiresAt: '$19',
  status: `'queued'`,
  statusRank: '$14',
  statusChangedAt: '$6',
  softFailure: 'false',
  dispatchState: `'pending'`,
  attempts: '0',
  nextAttemptAt: '$6',
  createdAt: '$6',
  updatedAt: '$6',
} as const;

const APPLIED: CallbackOutcome = 'applied';

/** $1..$14 of both accept statements (`QUEUED_DEFAULTS` names them), in order. */
function outboundParams(row: QueuedOutbound): unknown[] {
  return [
    row.id,
    row.accountId,
    row.apiKeyId,
    row.agentId,
    row.source,
    row.at,
    row.from,
    row.to,
    row.body,
    row.segments,
    row.encoding,
    row.estimatedCost === null ? null : JSON.stringify(row.estimatedCost),
    row.inReplyTo,
    row.statusRank,
  ];
}

/**
 * A scheduled message (alias `m`) that may be released at $1; the
 * constructor adds the campaign gate (a paused or not yet started campaign
 * holds its messages), so every release statement and the due-sender count
 * apply both.
 */
const RELEASABLE = `m."status" = 'scheduled' AND m."scheduled_for" <= $1`;

/**
 * Every statement on `messages` and `message_status_history` (one aggregate:
 * a message and the history of its status). Methods that take an
 * EntityManager run inside the caller's transaction, opened with
 * `transaction`. The hot paths (accept, dispatch claim, callback ingest, SID
 * store) are single hand-written statements, prepared once per connection;
 * their table and column names come from the entities.
 */
@Injectable()
export class MessagesRepository extends TransactionalRepository {
  private readonly sql: {
    insertQueuedOutbound: string;
    insertScheduledOutbound: string;
    releaseDue: string;
    expireScheduled: string;
    expireQueued: string;
    cancelPendingTo: string;
    dueSenders: string;
    releaseDuePaced: string;
    claimForDispatch: string;
    applyStatus: string;
    applyCallbackToOwnedSid: string;
    lockMessageAndSidOwner: string;
    storeSidAndTakeParked: string;
    setHistoryErrorCode: string;
  };

  constructor(
    @InjectDataSource() ds: DataSource,
    private readonly outbox: Outbox,
  ) {
    super(ds);
    const messages = tableOf(ds, SmsMessage);
    const history = tableOf(ds, SmsStatusHistory);
    const callbacks = tableOf(ds, SmsStatusCallback);
    const inbox = tableOf(ds, InboxEntry);
    const optOuts = tableOf(ds, OptOut);
    // A campaign's messages are released only while it runs (not paused, not a draft).
    const campaigns = tableOf(ds, Campaign);
    const releasable = `${RELEASABLE} AND (m."campaign_id" IS NULL OR m."campaign_id" IN (
      SELECT c."id" FROM ${campaigns} c WHERE c."status" = 'running'))`;
    // A release: the rows the `due` CTE (after the CTEs before it) picked become
    // `queued` with their history row and dispatch event ($3 rank, $4 now, $5 key).
    const queueDue = (dueCtes: string): string => `WITH ${dueCtes}, msg AS (
         UPDATE ${messages} m
            SET "status" = 'queued', "status_rank" = $3, "status_changed_at" = $4,
                "dispatch_state" = 'pending', "attempts" = 0, "next_attempt_at" = $4, "updated_at" = $4
           FROM due WHERE m."id" = due."id"
          RETURNING m."id"
       ), history AS (
         INSERT INTO ${history} ("message_id", "status", "source", "occurred_at")
         SELECT "id", 'queued', 'scheduler', $4 FROM msg
       ), event AS (
         ${outbox.insertFrom('msg', 'gen_random_uuid()', '$5', `jsonb_build_object('message_id', msg."id")`)}
       )
       SELECT "id" FROM msg`;
    const optOutNumber = columnOf(ds, OptOut, 'ourNumber');
    const optOutRecipient = columnOf(ds, OptOut, 'recipient');
    const queued = messageInsert(QUEUED_DEFAULTS);
    // The same message, waiting: no dispatch state (the sender's poller skips
    // it) and no dispatch event until `releaseDue` queues it.
    const scheduled = messageInsert({
      ...QUEUED_DEFAULTS,
      callId: '$16',
      expiresAt: '$17',
      status: `'scheduled'`,
      scheduledFor: '$15',
      dispatchState: 'NULL',
      nextAttemptAt: 'NULL',
    });
    // Ends the messages `target` selects and locks (never handed to Twilio):
    // the final status with its code, out of the sender's reach (dispatch
    // `failed`, nothing due), a history row, `sms.status-updated.v1` and the
    // customer event, in one statement. Target parameters start at $11.
    const endWaiting = (target: string) => `WITH target AS (
         ${target}
       ), msg AS (
         UPDATE ${messages} m
            SET "status" = $1, "status_rank" = $2, "status_changed_at" = $3, "error_code" = $5, "error_message" = $6,
                "soft_failure" = false, "error_fetch_after" = NULL, "dispatch_state" = 'failed',
                "lease_until" = NULL, "next_attempt_at" = NULL, "last_attempt_error" = $5 || ': ' || $6,
                "updated_at" = now()
           FROM target t WHERE m."id" = t."id"
          RETURNING m."id" AS "message_id", m."account_id", m."agent_id", m."twilio_sid", t."previous_status",
                    m."error_code", m."from_number", m."to_number", m."call_id"
       ), history AS (
         INSERT INTO ${history} ("message_id", "status", "error_code", "source", "occurred_at")
         SELECT "message_id", $1, $5, $8, $3 FROM msg
       ), event AS (
         ${outbox.insertFrom('msg', 'gen_random_uuid()', '$9', jsonObject(ENDED_STATUS_EVENT))}
       ), customer_event AS (
         ${outbox.insertFrom(
           'msg',
           'gen_random_uuid()',
           '$10',
           jsonObject({ ...ENDED_CUSTOMER_EVENT, data: jsonObject(ENDED_CUSTOMER_DATA) }),
         )}
       )
       SELECT "message_id" AS "id" FROM msg`;
    const eventRow = Object.entries(STATUS_EVENT_FROM_ROW)
      .map(([field, expr]) => `${expr} AS "${field}"`)
      .join(', ');
    this.sql = {
      insertQueuedOutbound: `WITH opted_out AS (
         SELECT 1 FROM ${optOuts} WHERE ${optOutNumber} = $7 AND ${optOutRecipient} = $8
       ), msg AS (
         INSERT INTO ${messages} (${queued.columns})
         SELECT ${queued.values}
         WHERE NOT EXISTS (SELECT 1 FROM opted_out)
         RETURNING "id"
       ), history AS (
         INSERT INTO ${history} ("message_id", "status", "source", "occurred_at")
         SELECT "id", 'queued', 'api', $6 FROM msg
       ), event AS (
         ${outbox.insertFrom('msg', '$15', '$16', '$17::jsonb')}
       )
       SELECT "id" FROM msg`,
      insertScheduledOutbound: `WITH opted_out AS (
         SELECT 1 FROM ${optOuts} WHERE ${optOutNumber} = $7 AND ${optOutRecipient} = $8
       ), msg AS (
         INSERT INTO ${messages} (${scheduled.columns})
         SELECT ${scheduled.values}
         WHERE NOT EXISTS (SELECT 1 FROM opted_out)
         RETURNING "id"
       ), history AS (
         INSERT INTO ${history} ("message_id", "status", "source", "occurred_at")
         SELECT "id", 'scheduled', 'api', $6 FROM msg
       )
       SELECT "id" FROM msg`,
      // Due ($1: the injected clock's now) scheduled messages, oldest first,
      // skipping rows a cancel holds: each becomes `queued` with its history
      // row and its dispatch event, in this one statement.
      releaseDue: queueDue(`due AS (
         SELECT m."id" FROM ${messages} m
          WHERE ${releasable}
          ORDER BY m."scheduled_for" LIMIT $2
          FOR UPDATE SKIP LOCKED
       )`),
      // Scheduled messages whose expires_at ($11: the injected clock's now)
      // passed, before their release; skipping rows a cancel or the release holds.
      expireScheduled: endWaiting(`SELECT "id", "status" AS "previous_status" FROM ${messages}
          WHERE "status" = 'scheduled' AND "expires_at" <= $11
          ORDER BY "expires_at" LIMIT $12
          FOR UPDATE SKIP LOCKED`),
      // Queued messages the sender has not claimed yet (pending, no SID) whose
      // expires_at passed; a claimed one (in flight) is the dispatcher's to expire.
      expireQueued: endWaiting(`SELECT "id", "status" AS "previous_status" FROM ${messages}
          WHERE "status" = 'queued' AND "dispatch_state" = 'pending' AND "twilio_sid" IS NULL
            AND "expires_at" <= $11
          ORDER BY "expires_at" LIMIT $12
          FOR UPDATE SKIP LOCKED`),
      // An opt-out: every message from our number ($12) to the recipient ($13)
      // not handed to Twilio (scheduled, or queued and not claimed). Waits for a
      // row another statement holds (a release, a claim) and reads it again:
      // released, it is cancelled as queued; claimed (in flight), it is left to go.
      cancelPendingTo: endWaiting(`SELECT "id", "status" AS "previous_status" FROM ${messages}
          WHERE "account_id" = $11 AND "our_number" = $12 AND "other_party" = $13 AND "direction" = 'outbound'
            AND "twilio_sid" IS NULL
            AND ("status" = 'scheduled' OR ("status" = 'queued' AND "dispatch_state" = 'pending'))
          ORDER BY "id"
          FOR UPDATE`),
      // Senders with scheduled messages due at $1 (the paced release's budget is per sender).
      dueSenders: `SELECT "from_number" AS "sender", count(*)::int AS "due" FROM ${messages} m
          WHERE ${releasable} GROUP BY 1 ORDER BY min(m."scheduled_for") LIMIT $2`,
      // releaseDue with a budget per sender ($6 senders, $7 segments each): per
      // sender its oldest due rows, non-campaign before campaign, as long as
      // the segments before a row stay under the sender's budget less what it
      // already has released and waiting ($8: bulk rows pending until then);
      // at most $2 rows in all (a full batch runs again at once).
      releaseDuePaced: queueDue(`budget AS (
         SELECT b."sender", b."segments" - COALESCE((
             SELECT sum(q."segments") FROM ${messages} q
              WHERE q."from_number" = b."sender" AND q."dispatch_state" = 'pending' AND q."twilio_sid" IS NULL
                AND (q."scheduled_for" IS NOT NULL OR q."campaign_id" IS NOT NULL) AND q."next_attempt_at" <= $8
           ), 0) AS "segments"
           FROM unnest($6::text[], $7::float8[]) AS b("sender", "segments")
       ), picked AS (
         SELECT b."sender", b."segments" AS "budget", p.*
           FROM budget b CROSS JOIN LATERAL (
             SELECT m."id", m."segments" AS "cost", m."scheduled_for", m."campaign_id" IS NOT NULL AS "campaign"
               FROM ${messages} m
              WHERE ${releasable} AND m."from_number" = b."sender"
              ORDER BY m."campaign_id" IS NOT NULL, m."scheduled_for", m."id"
              LIMIT LEAST($2, GREATEST(0, ceil(b."segments")::int))
              FOR UPDATE SKIP LOCKED
           ) p
          WHERE b."segments" > 0
       ), due AS (
         SELECT "id" FROM (
           SELECT "id", "budget", "campaign", "scheduled_for",
                  sum("cost") OVER (PARTITION BY "sender" ORDER BY "campaign", "scheduled_for", "id") - "cost" AS "before"
             FROM picked
         ) r WHERE r."before" < r."budget"
         ORDER BY r."campaign", r."scheduled_for" LIMIT $2
       )`),
      claimForDispatch: `WITH prev AS (
         SELECT "id", "dispatch_state" FROM ${messages} WHERE "id" = $1 FOR UPDATE
       )
       UPDATE ${messages} m
          SET "attempts" = m."attempts" + 1, "dispatch_state" = 'in_flight',
              "lease_until" = $3, "next_attempt_at" = $3, "updated_at" = now()
         FROM prev
        WHERE m."id" = prev."id" AND m."direction" = 'outbound' AND m."twilio_sid" IS NULL
          AND ((m."dispatch_state" IN ('pending', 'uncertain') AND m."next_attempt_at" <= $2)
               OR (m."dispatch_state" = 'in_flight' AND m."lease_until" <= $2))
       RETURNING m.*, prev."dispatch_state" AS "previous_state"`,
      applyStatus: `WITH msg AS (
         UPDATE ${messages}
            SET "status" = $2, "status_rank" = $3, "status_changed_at" = $4, "error_code" = $5,
                "error_message" = $6, "soft_failure" = false, "error_fetch_after" = $7, "updated_at" = now()
          WHERE "id" = $1
          RETURNING "id"
       ), history AS (
         INSERT INTO ${history} ("message_id", "status", "error_code", "source", "occurred_at")
         SELECT "id", $2, $8, $9, $4 FROM msg
       )
       ${outbox.insertFrom('msg', '$10', '$11', '$12::jsonb')}`,
      // The decision is the status module's table ($4), looked up by the
      // locked row's status and whether its Twilio account is the callback's.
      applyCallbackToOwnedSid: `WITH prev AS (
         SELECT "id", "status", "twilio_account_sid" FROM ${messages}
          WHERE "twilio_sid" = $1 FOR UPDATE
       ), claimed AS (
         INSERT INTO ${inbox} ("message_id", "handler") SELECT $2, $3 FROM prev
         ON CONFLICT DO NOTHING RETURNING 1
       ), verdict AS (
         SELECT prev."id", prev."status" AS "previous_status",
                $4::jsonb -> (CASE WHEN prev."twilio_account_sid" IS NULL OR prev."twilio_account_sid" = $5
                                   THEN 'same' ELSE 'other' END)
                          ->> prev."status" AS "outcome"
           FROM prev WHERE EXISTS (SELECT 1 FROM claimed)
       ), msg AS (
         UPDATE ${messages} m
            SET "status" = $6::text, "status_rank" = $7, "status_changed_at" = $8,
                "error_code" = COALESCE($9::text, m."error_code"),
                "error_message" = CASE WHEN $9::text IS NULL THEN m."error_message" ELSE $10 END,
                "soft_failure" = false,
                "error_fetch_after" = CASE WHEN $9::text IS NULL AND m."error_code" IS NULL THEN $11::timestamptz END,
                "updated_at" = now()
           FROM verdict v
          WHERE m."id" = v."id" AND v."outcome" = '${APPLIED}'
          RETURNING ${eventRow}
       ), history AS (
         INSERT INTO ${history} ("message_id", "status", "error_code", "source", "occurred_at")
         SELECT "message_id", $6::text, $9::text, 'twilio_callback', $8 FROM msg
       ), event AS (
         ${outbox.insertFrom('msg', '$12', '$13', '$14::jsonb || to_jsonb(msg)')}
       ), customer_event AS (
         ${outbox.insertFrom(
           `msg JOIN ${messages} c ON c."id" = msg."message_id" AND c."direction" = 'outbound'`,
           '$16',
           '$17',
           `$18::jsonb || ${jsonObject({
             ...STATUS_CUSTOMER_EVENT_FROM_ROW,
             data: `($18::jsonb -> 'data') || ${jsonObject(STATUS_CUSTOMER_DATA_FROM_ROW)}`,
           })}`,
         )}
       ), callback AS (
         INSERT INTO ${callbacks} ("twilio_sid", "status", "error_code", "received_at", "applied_at", "outcome")
         SELECT $1, $15, $9::text, $8, now(), "outcome" FROM verdict
       )
       SELECT (SELECT count(*) FROM prev)::int AS "found", (SELECT "outcome" FROM verdict) AS "outcome"`,
      lockMessageAndSidOwner: `SELECT m.*, (SELECT o."id" FROM ${messages} o WHERE o."twilio_sid" = $2) AS "sid_owner"
         FROM ${messages} m WHERE m."id" = $1 FOR UPDATE OF m`,
      storeSidAndTakeParked: `WITH stored AS (
           UPDATE ${messages}
              SET "twilio_sid" = $2, "twilio_account_sid" = $3, "dispatch_state" = 'done', "dispatched_at" = $4,
                  "lease_until" = NULL, "next_attempt_at" = NULL, "last_attempt_error" = NULL, "updated_at" = now()
            WHERE "id" = $1
         )
         SELECT "id", "status", "error_code", "received_at" FROM ${callbacks}
          WHERE "twilio_sid" = $2 AND "applied_at" IS NULL ORDER BY "id"`,
      setHistoryErrorCode: `UPDATE ${history} SET "error_code" = $3
       WHERE "id" = (SELECT max("id") FROM ${history} WHERE "message_id" = $1 AND "status" = $2)
         AND "error_code" IS NULL`,
    };
  }

  // --- accept --------------------------------------------------------------

  /**
   * Stores an accepted outbound message in ONE statement (atomic on its own,
   * so no BEGIN/COMMIT round trips): the message unless its recipient opted
   * out of this number, its first history row, and its outbox event. False
   * when the recipient opted out (nothing written). In `m`'s transaction when
   * given.
   */
  async insertQueuedOutbound(row: QueuedOutbound, event: OutboxValues, m?: EntityManager): Promise<boolean> {
    const rows = await queryPrepared<{ id: string }>(
      m ?? this.ds,
      'sms_insert_queued_outbound',
      this.sql.insertQueuedOutbound,
      [...outboundParams(row), event.id, event.routing_key, event.payload, row.callId, row.expiresAt ?? null],
    );
    return rows.length === 1;
  }

  /**
   * `insertQueuedOutbound` for a message that goes later: stored `scheduled`
   * with its release time and first history row, without dispatch state or
   * event. False when the recipient opted out (nothing written).
   */
  async insertScheduledOutbound(row: ScheduledOutbound, m?: EntityManager): Promise<boolean> {
    const rows = await queryPrepared<{ id: string }>(
      m ?? this.ds,
      'sms_insert_scheduled_outbound',
      this.sql.insertScheduledOutbound,
      [...outboundParams(row), row.scheduledFor, row.callId, row.expiresAt ?? null],
    );
    return rows.length === 1;
  }

  /**
   * Releases up to `limit` scheduled messages due at `now` (the injected
   * clock's): each becomes `queued` (`queuedRank`) with a history row and its
   * `routingKey` dispatch event, in one statement. Returns their ids.
   */
  async releaseDue(now: Date, limit: number, queuedRank: number, routingKey: string): Promise<string[]> {
    const rows = await queryPrepared<{ id: string }>(this.ds, 'sms_release_due', this.sql.releaseDue, [
      now,
      limit,
      queuedRank,
      new Date(),
      routingKey,
    ]);
    return rows.map((r) => r.id);
  }

  /**
   * Up to `limit` waiting messages whose `expires_at` passed at `now` (the
   * injected clock's) end `failed` with `expired` (see `endWaiting`):
   * `scheduled` ones (the releaser, before it releases) or `queued` ones
   * the sender has not claimed (its poll). Returns their ids.
   */
  async expireDue(
    which: 'scheduled' | 'queued',
    now: Date,
    limit: number,
    end: WaitingEnd,
  ): Promise<string[]> {
    const rows = await queryPrepared<{ id: string }>(
      this.ds,
      which === 'scheduled' ? 'sms_expire_scheduled' : 'sms_expire_queued',
      which === 'scheduled' ? this.sql.expireScheduled : this.sql.expireQueued,
      [...this.endParams(end), now, limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Senders with releasable scheduled messages at `now`, oldest due first, and
   * how many each has due.
   */
  async dueSenders(now: Date, limit: number): Promise<{ sender: string; due: number }[]> {
    return queryPrepared<{ sender: string; due: number }>(this.ds, 'sms_due_senders', this.sql.dueSenders, [
      now,
      limit,
    ]);
  }

  /**
   * `releaseDue` within each sender's pace: `budgets` gives the segments each
   * sender may still book within the horizon (rows pending until
   * `horizonEnd` are taken off). One statement (SKIP LOCKED). Returns the ids.
   */
  async releaseDuePaced(
    now: Date,
    limit: number,
    queuedRank: number,
    routingKey: string,
    budgets: { sender: string; segments: number }[],
    horizonEnd: Date,
  ): Promise<string[]> {
    if (budgets.length === 0) return [];
    const rows = await queryPrepared<{ id: string }>(
      this.ds,
      'sms_release_due_paced',
      this.sql.releaseDuePaced,
      [
        now,
        limit,
        queuedRank,
        new Date(),
        routingKey,
        budgets.map((b) => b.sender),
        budgets.map((b) => b.segments),
        horizonEnd,
      ],
    );
    return rows.map((r) => r.id);
  }

  /**
   * The recipient opted out of `ourNumber`: every message to them from it
   * that was not handed to Twilio ends as `end` says (`canceled`,
   * `recipient_opted_out`), in `m`'s transaction (the opt-out's). A message a
   * sender has claimed is left alone. Returns the ids.
   */
  async cancelPendingTo(
    m: EntityManager,
    to: { accountId: string; ourNumber: string; recipient: string },
    end: WaitingEnd,
  ): Promise<string[]> {
    const rows = await queryPrepared<{ id: string }>(m, 'sms_cancel_pending_to', this.sql.cancelPendingTo, [
      ...this.endParams(end),
      to.accountId,
      to.ourNumber,
      to.recipient,
    ]);
    return rows.map((r) => r.id);
  }

  private endParams(end: WaitingEnd): unknown[] {
    return [
      end.status,
      end.statusRank,
      end.at,
      end.at.toISOString(),
      end.errorCode,
      end.errorMessage,
      end.customerErrorMessage,
      end.source,
      end.routingKey,
      end.customerRoutingKey,
    ];
  }

  // --- dispatch ------------------------------------------------------------

  /**
   * The dispatcher's claim in ONE statement: a due `pending`/`uncertain`
   * outbound message without a SID, or an `in_flight` one whose lease ran out
   * (its worker died), becomes `in_flight` with `attempts + 1` and a new lease.
   * Undefined when it is not claimable (another worker has it, or it is done).
   */
  async claimForDispatch(
    id: string,
    now: Date,
    lease: Date,
  ): Promise<{ msg: SmsMessage; previousState: DispatchState } | undefined> {
    const [row] = await queryPrepared<MessageRow & { previous_state: DispatchState }>(
      this.ds,
      'sms_claim_for_dispatch',
      this.sql.claimForDispatch,
      [id, now, lease],
    );
    if (!row) return undefined;
    return { msg: messageFromRow(row), previousState: row.previous_state };
  }

  /** Messages whose next send attempt (or abandoned claim) is due. */
  async dueForDispatch(limit: number): Promise<string[]> {
    const rows = await this.ds
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .select('m.id', 'id')
      .where(`m.dispatch_state IN ('pending', 'in_flight', 'uncertain')`)
      .andWhere('m.next_attempt_at <= now()')
      .orderBy('m.next_attempt_at', 'ASC')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /**
   * Locks message `id` and says which message owns `sid`, in one statement.
   * Call under the SID lock (`StatusCallbacksRepository.lockSid`, an earlier
   * statement): any owner was committed before this statement's snapshot, and
   * none can appear after.
   */
  async lockMessageAndSidOwner(
    m: EntityManager,
    id: string,
    sid: string,
  ): Promise<{ row: SmsMessage | null; sidOwner: string | null }> {
    const [row] = await queryPrepared<MessageRow & { sid_owner: string | null }>(
      m,
      'sms_lock_message_and_sid_owner',
      this.sql.lockMessageAndSidOwner,
      [id, sid],
    );
    return row
      ? { row: messageFromRow(row), sidOwner: row.sid_owner ?? null }
      : { row: null, sidOwner: null };
  }

  /**
   * Stores the SID Twilio gave the message (its dispatch is done) and returns
   * the callbacks parked for that SID, in one statement. Call under the SID
   * lock, so no callback can be parked after this read.
   */
  async storeSidAndTakeParked(
    m: EntityManager,
    id: string,
    created: { sid: string; accountSid: string; at: Date },
  ): Promise<Pick<SmsStatusCallback, 'id' | 'status' | 'errorCode' | 'receivedAt'>[]> {
    const rows = await queryPrepared<{
      id: string;
      status: string;
      error_code: string | null;
      received_at: Date;
    }>(m, 'sms_store_sid_take_parked', this.sql.storeSidAndTakeParked, [
      id,
      created.sid,
      created.accountSid,
      created.at,
    ]);
    return rows.map((r) => ({
      id: r.id,
      status: r.status,
      errorCode: r.error_code,
      receivedAt: r.received_at,
    }));
  }

  /** SIDs among `sids` that some message already owns (reconciliation must not adopt them twice). */
  async ownedSids(sids: string[]): Promise<Set<string>> {
    if (sids.length === 0) return new Set();
    const rows = await this.ds.getRepository(SmsMessage).find({
      select: { twilioSid: true },
      where: { twilioSid: In(sids) },
    });
    return new Set(rows.map((r) => r.twilioSid as string));
  }

  // --- status --------------------------------------------------------------

  lockMessage(m: EntityManager, id: string): Promise<SmsMessage | null> {
    return m
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .setLock('pessimistic_write')
      .where('m.id = :id', { id })
      .getOne();
  }

  lockMessageBySid(m: EntityManager, sid: string): Promise<SmsMessage | null> {
    return m
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .setLock('pessimistic_write')
      .where('m.twilio_sid = :sid', { sid })
      .getOne();
  }

  async updateMessage(m: EntityManager, id: string, patch: Partial<SmsMessage>): Promise<void> {
    await m.update(SmsMessage, { id }, { ...patch, updatedAt: new Date() });
  }

  /**
   * A status change in ONE statement, in the caller's transaction: the
   * message's new status, its history row and its outbox event.
   */
  async applyStatus(m: EntityManager, change: StatusWrite, event: OutboxValues): Promise<void> {
    await m.query(this.sql.applyStatus, [
      change.id,
      change.status,
      change.statusRank,
      change.at,
      change.errorCode,
      change.errorMessage,
      change.errorFetchAfter,
      change.historyErrorCode,
      change.source,
      event.id,
      event.routing_key,
      event.payload,
    ]);
  }

  /**
   * A status callback for a SID that a message already owns, in ONE
   * statement and its own implicit transaction: lock the row, claim the
   * event, decide by the status module's table (`change.outcomes`), apply
   * with history, outbox event and (outbound) customer event, record the
   * callback with its outcome. The decision reads the locked row, which is
   * its latest committed version.
   *
   * `found` is false when no message owns the SID; nothing was written then.
   * `outcome` is null when the event was already claimed (a duplicate).
   */
  async applyCallbackToOwnedSid(
    eventId: string,
    handler: string,
    cb: CallbackFacts,
    change: CallbackChange,
  ): Promise<{ found: boolean; outcome: CallbackOutcome | null }> {
    const [row] = await queryPrepared<{ found: number; outcome: CallbackOutcome | null }>(
      this.ds,
      'sms_apply_callback_to_owned_sid',
      this.sql.applyCallbackToOwnedSid,
      [
        cb.sid,
        eventId,
        handler,
        JSON.stringify(change.outcomes),
        cb.accountSid,
        change.status,
        change.statusRank,
        cb.at,
        cb.errorCode,
        change.errorMessage,
        change.errorFetchAfter,
        change.eventId,
        change.routingKey,
        change.event === null ? null : JSON.stringify(change.event),
        cb.rawStatus,
        change.customerEventId,
        change.customerRoutingKey,
        change.customerEvent === null ? null : JSON.stringify(change.customerEvent),
        change.customerErrorMessage,
      ],
    );
    return { found: row.found > 0, outcome: row.outcome };
  }

  /** `sent` for longer than the threshold and not flagged yet: the rows to flag, locked. */
  lockStuckInSent(m: EntityManager, afterMs: number, limit: number): Promise<SmsMessage[]> {
    return m
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .where(`m.status = 'sent' AND NOT m.soft_failure`)
      .andWhere('m.status_changed_at < now() - make_interval(secs => :s::float8 / 1000)', { s: afterMs })
      .limit(limit)
      .getMany();
  }

  /**
   * Sent outbound messages in one of `statuses` whose status has not moved
   * for `afterMs`, longest unchanged first (the reconciler's candidates).
   */
  unchangedSince(statuses: readonly SmsStatus[], afterMs: number, limit: number): Promise<SmsMessage[]> {
    return this.ds
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .where(`m.twilio_sid IS NOT NULL AND m.direction = 'outbound'`)
      .andWhere('m.status IN (:...statuses)', { statuses })
      .andWhere('m.status_changed_at < now() - make_interval(secs => :s::float8 / 1000)', { s: afterMs })
      .orderBy('m.status_changed_at', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Failure statuses still without their error code whose look-up at Twilio is due. */
  dueErrorFetches(limit: number): Promise<SmsMessage[]> {
    return this.ds
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .where('m.error_fetch_after IS NOT NULL AND m.error_fetch_after <= now()')
      .orderBy('m.error_fetch_after', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** The latest history row of `status` for a message gets the code that was missing. */
  async setHistoryErrorCode(
    m: EntityManager,
    messageId: string,
    status: SmsStatus,
    code: string,
  ): Promise<void> {
    await m.query(this.sql.setHistoryErrorCode, [messageId, status, code]);
  }

  // --- queries -------------------------------------------------------------

  findForAccount(accountId: string, idOrSid: string): Promise<SmsMessage | null> {
    const repo = this.ds.getRepository(SmsMessage);
    return SID.test(idOrSid)
      ? repo.findOneBy({ accountId, twilioSid: idOrSid })
      : repo.findOneBy({ accountId, id: idOrSid });
  }

  history(messageId: string): Promise<SmsStatusHistory[]> {
    return this.ds.getRepository(SmsStatusHistory).find({ where: { messageId }, order: { id: 'ASC' } });
  }

  /** The conversation (our number, other party) from `from` on, oldest first. */
  conversationSince(from: SmsMessage, limit: number): Promise<SmsMessage[]> {
    return this.ds
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .where('m.account_id = :a AND m.our_number = :n AND m.other_party = :o', {
        a: from.accountId,
        n: from.ourNumber,
        o: from.otherParty,
      })
      .andWhere('(m.created_at, m.id) >= (:at, :id)', { at: from.createdAt, id: from.id })
      .orderBy('m.created_at', 'ASC')
      .addOrderBy('m.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** An account's messages, newest first, one keyset page. */
  list(f: ListFilter): Promise<Page<SmsMessage>> {
    const qb = this.ds
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .where('m.account_id = :account', { account: f.accountId });
    if (f.agentId !== undefined) qb.andWhere('m.agent_id = :agent', { agent: f.agentId });
    if (f.fromNumber !== undefined) qb.andWhere('m.from_number = :from', { from: f.fromNumber });
    if (f.toNumber !== undefined) qb.andWhere('m.to_number = :to', { to: f.toNumber });
    if (f.status !== undefined) qb.andWhere('m.status = :status', { status: f.status });
    if (f.callId !== undefined) qb.andWhere('m.call_id = :call', { call: f.callId });
    return keysetPage(qb, 'm', f);
  }
}
