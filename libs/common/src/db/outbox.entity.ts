import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * An event written in the same transaction as the state change it announces.
 * The relay publishes it with a publisher confirm, then deletes it.
 */
@Entity({ name: 'outbox' })
export class OutboxMessage {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text', { name: 'routing_key' })
  routingKey: string;

  @Column('jsonb')
  payload: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
