import { Column, Entity, PrimaryColumn } from 'typeorm';

export type InboundReplyState = 'pending' | 'sent' | 'failed' | 'skipped';

/**
 * The reply an inbound message is owed (agent or HELP), registered in the
 * transaction that stored the message. Its reply message id is fixed there,
 * so however often the inbound event is redelivered, at most one reply is sent.
 */
@Entity({ name: 'inbound_replies' })
export class InboundReply {
  @PrimaryColumn('text', { name: 'inbound_id' })
  inboundId: string;

  @Column('text', { name: 'reply_message_id' })
  replyMessageId: string;

  @Column('text')
  state: InboundReplyState;

  /** Why it failed or was skipped (also shown on the inbound message). */
  @Column('text', { nullable: true })
  reason: string | null;

  /** When a consumer last claimed it; `-infinity` until the first claim. */
  @Column('timestamptz', { name: 'claimed_at' })
  claimedAt: Date;

  @Column('integer')
  attempts: number;
}
