import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { BrokerClient } from '../broker/broker-client';
import type { EventKey, EventPayload } from '../contracts';
import { outboxPublished, watchOutboxLag } from '../metrics/metrics';
import { Poller } from '../poll/poller';
import { OUTBOX_TABLE } from './outbox-inbox.migration';

const BATCH = 200;
const c = OUTBOX_TABLE.columns;
/** The columns an event row is written and read with, in `OutboxRow` order. */
const COLUMNS = `${c.id}, ${c.routingKey}, ${c.payload}`;

/** An outbox row as the relay reads it. */
interface OutboxRow {
  id: string;
  routing_key: string;
  payload: unknown;
}

/**
 * Transactional outbox, and every statement on the `outbox` table (its DDL
 * is `createOutboxAndInbox`, with the same names from `OUTBOX_TABLE`). `add`
 * inserts the event in the caller's transaction; `insertFrom` folds that
 * insert into a caller's own single statement; the relay publishes committed
 * rows with publisher confirms and deletes them only after the broker
 * confirmed. A crash between the two republishes the row with the same
 * message id, which consumers de-duplicate (inbox). There is no entity: the
 * relay needs `FOR UPDATE SKIP LOCKED` and the hot paths need the insert
 * inside their own statement, so an entity would be a second declaration of
 * the table that nothing queries through.
 */
@Injectable()
export class Outbox implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Outbox');
  private readonly poller: Poller;

  constructor(
    private readonly dataSource: DataSource,
    private readonly broker: BrokerClient,
    private readonly schema: string,
    pollMs = 250,
  ) {
    // Again at once while batches come full; backing off up to 5 s while the broker or database fails.
    this.poller = new Poller({
      name: 'outbox relay',
      intervalMs: pollMs,
      maxBackoffMs: 5000,
      job: async () => ((await this.publishBatch()) === BATCH ? 'more' : 'idle'),
      logger: this.logger,
    });
    watchOutboxLag(() => this.lagSeconds());
  }

  /** Age of the oldest unpublished event in seconds (0 when none), read when metrics are scraped. */
  private async lagSeconds(): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(${c.createdAt})), 0)::float8 AS lag FROM ${this.table}`,
    );
    return Number(row?.lag ?? 0);
  }

  async add<K extends EventKey>(manager: EntityManager, key: K, payload: EventPayload<K>): Promise<string> {
    const row = this.row(key, payload);
    await manager.query(`INSERT INTO ${this.table} (${COLUMNS}) VALUES ($1, $2, $3)`, [
      row.id,
      row.routing_key,
      row.payload,
    ]);
    return row.id;
  }

  /**
   * The outbox insert for a caller that folds it into a statement of its own
   * (one round trip): `INSERT INTO <outbox> (...) SELECT <id>, <routing key>,
   * <payload> FROM <from>`, each a SQL expression of the caller's statement.
   */
  insertFrom(from: string, id: string, routingKey: string, payload: string): string {
    return `INSERT INTO ${this.table} (${COLUMNS}) SELECT ${id}, ${routingKey}, ${payload} FROM ${from}`;
  }

  /** An outbox row's values (id, routing key, JSON payload) for such a statement. */
  row<K extends EventKey>(key: K, payload: EventPayload<K>): { id: string; routing_key: K; payload: string } {
    return { id: randomUUID(), routing_key: key, payload: JSON.stringify(payload) };
  }

  private get table(): string {
    return `"${this.schema}"."${OUTBOX_TABLE.name}"`;
  }

  /** Call after committing a transaction that added events, for low latency. */
  kick(): void {
    this.poller.kick();
  }

  onApplicationBootstrap(): void {
    this.poller.start();
  }

  onApplicationShutdown(): void {
    // Not awaited: a batch waiting for broker confirms must not hold the shutdown (it is republished).
    void this.poller.stop();
  }

  /** Publishes every committed event now; resolves when the relay is idle again. */
  drain(): Promise<void> {
    return this.poller.run();
  }

  private publishBatch(): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const rows: OutboxRow[] = await m.query(
        `SELECT ${COLUMNS} FROM ${this.table}
         ORDER BY ${c.createdAt} LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) return 0;
      await Promise.all(
        rows.map((r) =>
          this.broker.publishRawEvent(r.routing_key, Buffer.from(JSON.stringify(r.payload)), {
            messageId: r.id,
          }),
        ),
      );
      await m.query(`DELETE FROM ${this.table} WHERE ${c.id} = ANY($1)`, [rows.map((r) => r.id)]);
      outboxPublished.inc(rows.length);
      return rows.length;
    });
  }
}

/**
 * Records that `handler` consumed `messageId`, in the caller's transaction.
 * Returns false when it was already consumed: the caller then does nothing.
 */
export async function claimInbox(
  manager: EntityManager,
  schema: string,
  messageId: string,
  handler: string,
): Promise<boolean> {
  if (!messageId) return true;
  const rows: unknown[] = await manager.query(
    `INSERT INTO "${schema}"."inbox" (message_id, handler) VALUES ($1, $2)
     ON CONFLICT DO NOTHING RETURNING message_id`,
    [messageId, handler],
  );
  return rows.length > 0;
}
