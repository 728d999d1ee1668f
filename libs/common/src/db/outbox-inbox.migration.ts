import type { QueryRunner } from 'typeorm';

/**
 * The outbox table's names, for its DDL below and for every statement on it
 * (all in `Outbox`). Quoted column names, ready for SQL.
 */
export const OUTBOX_TABLE = {
  name: 'outbox',
  columns: {
    id: '"id"',
    routingKey: '"routing_key"',
    payload: '"payload"',
    createdAt: '"created_at"',
    requestId: '"request_id"',
  },
} as const;

/**
 * SQL every service's first migration runs to create its outbox and inbox,
 * kept here so the four schemas cannot drift apart.
 */
export async function createOutboxAndInbox(q: QueryRunner, schema: string): Promise<void> {
  const o = OUTBOX_TABLE.columns;
  const outbox = `"${schema}"."${OUTBOX_TABLE.name}"`;
  await q.query(`CREATE TABLE ${outbox} (
    ${o.id} uuid PRIMARY KEY,
    ${o.routingKey} text NOT NULL,
    ${o.payload} jsonb NOT NULL,
    ${o.createdAt} timestamptz NOT NULL DEFAULT now()
  )`);
  await q.query(`CREATE INDEX "outbox_created_at_idx" ON ${outbox} (${o.createdAt})`);
  await q.query(`CREATE TABLE "${schema}"."inbox" (
    "message_id" text NOT NULL,
    "handler" text NOT NULL,
    "processed_at" timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY ("message_id", "handler")
  )`);
}

export async function dropOutboxAndInbox(q: QueryRunner, schema: string): Promise<void> {
  await q.query(`DROP TABLE "${schema}"."inbox"`);
  await q.query(`DROP TABLE "${schema}"."${OUTBOX_TABLE.name}"`);
}

/**
 * The request id an event was written under (`x-request-id` on the published
 * message), added to every service's outbox by one migration each.
 */
export async function addOutboxRequestId(q: QueryRunner, schema: string): Promise<void> {
  await q.query(
    `ALTER TABLE "${schema}"."${OUTBOX_TABLE.name}" ADD COLUMN ${OUTBOX_TABLE.columns.requestId} text`,
  );
}

export async function dropOutboxRequestId(q: QueryRunner, schema: string): Promise<void> {
  await q.query(
    `ALTER TABLE "${schema}"."${OUTBOX_TABLE.name}" DROP COLUMN ${OUTBOX_TABLE.columns.requestId}`,
  );
}
