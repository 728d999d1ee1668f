import { CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A consumed message id, recorded in the same transaction as its effect. */
@Entity({ name: 'inbox' })
export class InboxEntry {
  @PrimaryColumn('text', { name: 'message_id' })
  messageId: string;

  @PrimaryColumn('text')
  handler: string;

  @CreateDateColumn({ name: 'processed_at', type: 'timestamptz' })
  processedAt: Date;
}
