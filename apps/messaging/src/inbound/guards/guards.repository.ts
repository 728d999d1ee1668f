import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SmsMessage } from '../../sms/data';
import { tableOf } from '../../sms/data/sql-names';
import { UNSEEN_STATUSES } from '../../sms/status/status-rules';
import { InboundReply } from '../inbound-reply.entity';
import type { ThreadMessage } from './loop-detector';

/** The guards' longest look back: this many of the conversation's last messages. */
const THREAD_LIMIT = 60;

/**
 * The guards' reads of `messages` and `inbound_replies`, each one statement
 * on `messages_conversation_idx` (account_id, our_number, other_party,
 * created_at, id), relative to the inbound message being answered (its own
 * stored time and id, so a redelivery decides the same).
 */
@Injectable()
export class GuardsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Replies this conversation was owed before `inboundId` within `windowS`
   * seconds of it that were sent or are still on their way (`pending`):
   * replies skipped or failed do not count, and neither do later messages.
   */
  async repliesBefore(inboundId: string, windowS: number): Promise<number> {
    const rows: Array<{ n: number }> = await this.ds.query(
      `${this.me}
       SELECT count(*)::int AS n FROM me
         JOIN ${this.messages} m ON m."account_id" = me."account_id" AND m."our_number" = me."our_number"
              AND m."other_party" = me."other_party"
         JOIN ${this.replies} r ON r."inbound_id" = m."id"
        WHERE m."direction" = 'inbound' AND r."state" IN ('pending', 'sent')
          AND m."created_at" > me."created_at" - make_interval(secs => $2)
          AND (m."created_at", m."id") < (me."created_at", me."id")`,
      [inboundId, windowS],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * The conversation up to and including `inboundId`, oldest first: at most
   * the last 60 messages within `windowS` seconds of it, without outbound
   * messages that never reached the contact (as the agent's thread).
   */
  async threadUpTo(inboundId: string, windowS: number): Promise<ThreadMessage[]> {
    const rows: ThreadMessage[] = await this.ds.query(
      `${this.me}
       SELECT m."id", m."direction", m."body", m."created_at" AS "at" FROM me
         JOIN ${this.messages} m ON m."account_id" = me."account_id" AND m."our_number" = me."our_number"
              AND m."other_party" = me."other_party"
        WHERE m."created_at" >= me."created_at" - make_interval(secs => $2)
          AND (m."created_at", m."id") <= (me."created_at", me."id")
          AND (m."direction" = 'inbound' OR m."status" <> ALL($3))
        ORDER BY m."created_at" DESC, m."id" DESC
        LIMIT ${THREAD_LIMIT}`,
      [inboundId, windowS, UNSEEN_STATUSES],
    );
    return rows.reverse();
  }

  /** `WITH me AS (...)`: the inbound message ($1) the question is about. */
  private get me(): string {
    return `WITH me AS (SELECT "id", "account_id", "our_number", "other_party", "created_at"
                          FROM ${this.messages} WHERE "id" = $1)`;
  }

  private get messages(): string {
    return tableOf(this.ds, SmsMessage);
  }

  private get replies(): string {
    return tableOf(this.ds, InboundReply);
  }
}
