import { Injectable } from '@nestjs/common';
import { ResolvedNumber } from '@nixflex/common';
import { EntityManager } from 'typeorm';
import { OptOutsRepository } from '../opt-outs/opt-outs.repository';
import { WaitingEnds } from '../sms/schedule/waiting-ends';
import { InboundEvents } from './inbound-events';
import { ReplyKind, optOutChange, parseKeyword, replyKind } from './keywords';

/** A received message just stored, as the keyword step sees it. */
export interface StoredInbound {
  number: ResolvedNumber;
  inboundId: string;
  /** The sender (E.164 when it parses). */
  from: string;
  body: string;
  at: Date;
}

/**
 * STOP / START / YES / HELP applied to a freshly stored message, in its
 * transaction: the opt-out change and its customer event; on STOP, every
 * message to the sender from this number that has not gone to Twilio yet
 * (scheduled, or queued and not claimed) is canceled (`recipient_opted_out`).
 * Answers what the message is to be replied with (see `replyKind`).
 */
@Injectable()
export class KeywordActions {
  constructor(
    private readonly optOuts: OptOutsRepository,
    private readonly events: InboundEvents,
    private readonly waiting: WaitingEnds,
  ) {}

  async apply(m: EntityManager, msg: StoredInbound): Promise<ReplyKind> {
    const kw = parseKeyword(msg.body);
    const change = optOutChange(kw);
    if (!kw || change === null) return replyKind(kw, false);
    const { number, inboundId, from, at } = msg;
    if (change === 'opt_out') {
      await this.optOuts.record(m, {
        ourNumber: number.phone_number,
        recipient: from,
        accountId: number.account_id,
        optedOutAt: at,
        source: 'keyword',
        keyword: kw.word,
      });
      await this.waiting.cancelForOptOut(
        m,
        { accountId: number.account_id, ourNumber: number.phone_number, recipient: from },
        'opt_out',
      );
      await this.events.optedOut(m, number, at, {
        phone_number: number.phone_number,
        recipient: from,
        source: 'keyword',
        keyword: kw.word,
        message_id: inboundId,
      });
      return replyKind(kw, false);
    }
    const removed = await this.optOuts.remove(m, number.phone_number, from);
    if (removed) {
      await this.events.optedIn(m, number, at, {
        phone_number: number.phone_number,
        recipient: from,
        keyword: kw.word,
        message_id: inboundId,
      });
    }
    return replyKind(kw, removed);
  }
}
