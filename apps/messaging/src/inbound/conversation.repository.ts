import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { SmsMessage } from '../sms/data';
import { tableOf } from '../sms/data/sql-names';
import { UNSEEN_STATUSES } from '../sms/status/status-rules';

/** A received SMS as inbound stores it (`direction 'inbound'`, `status 'received'`). */
export type ReceivedSmsRow = Pick<
  SmsMessage,
  | 'id'
  | 'accountId'
  | 'agentId'
  | 'fromNumber'
  | 'toNumber'
  | 'body'
  | 'segments'
  | 'encoding'
  | 'statusRank'
  | 'twilioSid'
  | 'twilioAccountSid'
> & { at: Date };

/** One earlier message of a conversation, as the agent is shown it. */
export type HistoryRow = Pick<SmsMessage, 'direction' | 'body'>;

/** The same, dated (another channel's prompt shows when it was). */
export type TextRow = HistoryRow & { at: Date };

/** A conversation: the messages between our number and the other party, in one account. */
export interface ConversationQuery {
  accountId: string;
  ourNumber: string;
  otherParty: string;
  /** Leave this message out. */
  excludeId?: string;
  /** The newest this many. */
  limit: number;
}

/**
 * The statements inbound SMS runs on `messaging.messages`: storing a received
 * message, the conversation history the agent is shown (and, dated, the texts
 * another channel's prompt is shown), and the outcome of the reply on the
 * inbound message. Column names come from `SmsMessage`.
 */
@Injectable()
export class ConversationRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Stores a received message unless its Twilio SID is already stored: the
   * insert is the atomic claim of the SID (the unique `twilio_sid`). The id,
   * or null for a duplicate. The message is linked to a campaign when the
   * last message that reached this sender (sent to Twilio) in the
   * conversation was that campaign's: the thread then shows the reply as the
   * campaign's.
   */
  async insertReceived(m: EntityManager, row: ReceivedSmsRow): Promise<string | null> {
    const { at, ...columns } = row;
    const messages = tableOf(this.ds, SmsMessage);
    const result = await m
      .createQueryBuilder()
      .insert()
      .into(SmsMessage)
      .values({
        ...columns,
        campaignId: () => `(SELECT o."campaign_id" FROM ${messages} o
          WHERE o."account_id" = :linkAccount AND o."our_number" = :linkOurs AND o."other_party" = :linkOther
            AND o."direction" = 'outbound' AND o."twilio_sid" IS NOT NULL
          ORDER BY o."created_at" DESC LIMIT 1)`,
        direction: 'inbound',
        source: 'twilio_inbound',
        ourNumber: row.toNumber,
        otherParty: row.fromNumber,
        status: 'received',
        statusChangedAt: at,
        createdAt: at,
        updatedAt: at,
      })
      .orIgnore()
      .setParameters({ linkAccount: row.accountId, linkOurs: row.toNumber, linkOther: row.fromNumber })
      .returning(['id'])
      .updateEntity(false)
      .execute();
    const rows = result.raw as Array<Pick<SmsMessage, 'id'>>;
    return rows[0]?.id ?? null;
  }

  /** The stored inbound message with this Twilio SID. */
  async receivedIdBySid(m: EntityManager, twilioSid: string): Promise<string | null> {
    const row = await m.findOne(SmsMessage, {
      select: { id: true },
      where: { twilioSid, direction: 'inbound' },
    });
    return row?.id ?? null;
  }

  /**
   * The last `limit` messages between our number and the other party, oldest
   * first, without `excludeId` (the message being answered) and without
   * outbound messages that never reached them.
   */
  async history(q: ConversationQuery & { excludeId: string }): Promise<HistoryRow[]> {
    const newestFirst = await this.newestFirst(q)
      .select('m.direction', 'direction')
      .addSelect('m.body', 'body')
      .getRawMany<HistoryRow>();
    return newestFirst.reverse();
  }

  /**
   * The same conversation for another channel's prompt, dated, oldest first,
   * each body cut to `bodyChars` characters in SQL (so a long body never
   * leaves the database whole; the caller marks the cut).
   */
  async recentTexts(q: ConversationQuery & { bodyChars: number }): Promise<TextRow[]> {
    const newestFirst = await this.newestFirst(q)
      .select('m.direction', 'direction')
      .addSelect('left(m.body, :bodyChars)', 'body')
      .addSelect('m.createdAt', 'at')
      .setParameter('bodyChars', q.bodyChars)
      .getRawMany<TextRow>();
    return newestFirst.reverse();
  }

  /**
   * Newest first, so the limit keeps the latest: a backward range scan of
   * `messages_conversation_idx` (account_id, our_number, other_party,
   * created_at, id) that stops after `limit` rows it keeps.
   */
  private newestFirst(q: ConversationQuery): SelectQueryBuilder<SmsMessage> {
    const qb = this.ds
      .getRepository(SmsMessage)
      .createQueryBuilder('m')
      .where('m.accountId = :accountId AND m.ourNumber = :ourNumber AND m.otherParty = :otherParty', {
        accountId: q.accountId,
        ourNumber: q.ourNumber,
        otherParty: q.otherParty,
      })
      .andWhere(`(m.direction = 'inbound' OR m.status NOT IN (:...unseen))`, { unseen: UNSEEN_STATUSES });
    if (q.excludeId !== undefined) qb.andWhere('m.id <> :excludeId', { excludeId: q.excludeId });
    return qb.orderBy('m.createdAt', 'DESC').addOrderBy('m.id', 'DESC').limit(q.limit);
  }

  /** Shows on the inbound message why it got no reply (`error_code` / `error_message`). */
  async recordReplyProblem(
    m: EntityManager,
    inboundId: string,
    code: string,
    message: string,
  ): Promise<void> {
    await m.update(
      SmsMessage,
      { id: inboundId },
      { errorCode: code, errorMessage: message.slice(0, 500), updatedAt: () => 'now()' },
    );
  }
}
