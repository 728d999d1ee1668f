import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TransactionalRepository } from '@nixflex/common/db';
import { DataSource, EntityManager } from 'typeorm';
import { InboundReply, InboundReplyState } from './inbound-reply.entity';

/**
 * Every statement on `messaging.inbound_replies`. Writes that belong with a
 * message or an event take the caller's transaction (`EntityManager`).
 */
@Injectable()
export class InboundRepliesRepository extends TransactionalRepository {
  constructor(@InjectDataSource() ds: DataSource) {
    super(ds);
  }

  /** Registers the reply `inboundId` is owed, unclaimed, with its fixed message id. */
  async register(m: EntityManager, inboundId: string, replyMessageId: string): Promise<void> {
    await m
      .createQueryBuilder()
      .insert()
      .into(InboundReply)
      .values({ inboundId, replyMessageId, state: 'pending', claimedAt: () => `'-infinity'`, attempts: 0 })
      .updateEntity(false)
      .execute();
  }

  /** Whether the reply is still to be sent (a redelivery carries on only then). */
  isPending(m: EntityManager, inboundId: string): Promise<boolean> {
    return m.exists(InboundReply, { where: { inboundId, state: 'pending' } });
  }

  /**
   * Claims the pending reply unless another consumer claimed it less than
   * `leaseSeconds` ago (one statement, so exactly one consumer wins); the
   * reply's message id, or null when there is nothing to claim.
   */
  async claim(inboundId: string, leaseSeconds: number): Promise<string | null> {
    const result = await this.ds
      .createQueryBuilder()
      .update(InboundReply)
      .set({ claimedAt: () => 'now()', attempts: () => '"attempts" + 1' })
      .where(`"inbound_id" = :inboundId AND "state" = 'pending'`, { inboundId })
      .andWhere(`"claimed_at" < now() - make_interval(secs => :lease)`, { lease: leaseSeconds })
      .returning(['replyMessageId'])
      .updateEntity(false)
      .execute();
    const rows = result.raw as Array<{ reply_message_id: string }>;
    return rows[0]?.reply_message_id ?? null;
  }

  /** Records how the reply ended. */
  async settle(
    m: EntityManager,
    inboundId: string,
    state: Exclude<InboundReplyState, 'pending'>,
    reason: string | null,
  ): Promise<void> {
    await m.update(InboundReply, { inboundId }, { state, reason });
  }
}
