import type { QueryRunner } from 'typeorm';

/**
 * SQL every service's first migration runs to create its outbox and inbox,
 * kept here so the four schemas cannot drift apart.
 */
export async function createOutboxAndInbox(q: QueryRunner, schema: string): Promise<void> {
  await q.query(`CREATE TABLE "${schema}"."outbox" (
    "id" uuid PRIMARY KEY,
    "routing_key" text NOT NULL,
    "payload" jsonb NOT NULL,
    "created_at" timestamptz NOT NULL DEFAULT now()
  )`);
  await q.query(`CREATE INDEX "outbox_created_at_idx" ON "${schema}"."outbox" ("created_at")`);
  await q.query(`CREATE TABLE "${schema}"."inbox" (
    "message_id" text NOT NULL,
    "handler" text NOT NULL,
    "processed_at" timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY ("message_id", "handler")
  )`);
}

export async function dropOutboxAndInbox(q: QueryRunner, schema: string): Promise<void> {
  await q.query(`DROP TABLE "${schema}"."inbox"`);
  await q.query(`DROP TABLE "${schema}"."outbox"`);
}
