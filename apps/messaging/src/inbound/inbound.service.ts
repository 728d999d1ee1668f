import { Injectable } from '@nestjs/common';
import { AppError, ResolvedNumber, SmsInboundReceivedEvent, newId, toE164 } from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import { countSegments } from '@nixflex/common/sms';
import { statusRank } from '../sms/status/status-rules';
import { ConversationRepository } from './conversation.repository';
import { InboundEvents } from './inbound-events';
import { InboundRepliesRepository } from './inbound-replies.repository';
import { InboundReplyService, OwedReply } from './inbound-reply.service';
import { KeywordActions } from './keyword-actions';
import { pendingReplyKind } from './keywords';

/**
 * Handles one verified inbound SMS: stores it as a received message of the
 * conversation (the insert claims its MessageSid), applies STOP/START/YES/HELP,
 * and registers the reply it is owed, all in one transaction; then the reply
 * goes out (InboundReplyService), outside any transaction.
 */
@Injectable()
export class InboundService {
  constructor(
    private readonly numbers: NumberResolver,
    private readonly conversation: ConversationRepository,
    private readonly replies: InboundRepliesRepository,
    private readonly keywords: KeywordActions,
    private readonly events: InboundEvents,
    private readonly replier: InboundReplyService,
  ) {}

  async handle(ev: SmsInboundReceivedEvent): Promise<void> {
    const to = toE164(ev.to);
    const from = toE164(ev.from) ?? ev.from;
    if (!to) throw new AppError('validation_failed', `bad To ${ev.to}`);
    const number = await this.numbers.resolve(to);
    const owed = await this.store(ev, number, from);
    this.events.flush();
    if (owed) await this.replier.reply(owed);
  }

  /** One transaction: the claim of the SID, the message row, the opt-out change, the reply owed. */
  private store(
    ev: SmsInboundReceivedEvent,
    number: ResolvedNumber,
    from: string,
  ): Promise<OwedReply | null> {
    return this.replies.transaction(async (m) => {
      const at = new Date(ev.received_at);
      const when = Number.isNaN(at.getTime()) ? new Date() : at;
      const info = countSegments(ev.body);
      const inboundId = await this.conversation.insertReceived(m, {
        id: newId('msg'),
        accountId: number.account_id,
        agentId: number.agent_id,
        fromNumber: from,
        toNumber: number.phone_number,
        body: ev.body,
        segments: info.segments,
        encoding: info.encoding,
        statusRank: statusRank('received'),
        twilioSid: ev.message_sid,
        twilioAccountSid: ev.account_sid,
        at: when,
      });
      const owed = (id: string, kind: OwedReply['kind']): OwedReply => ({
        inboundId: id,
        number,
        from,
        body: ev.body,
        kind,
      });

      if (!inboundId) {
        // A duplicate: the first delivery stored it. Carry on only if the reply
        // it decided on is still pending (the reply claim decides who sends).
        const firstId = await this.conversation.receivedIdBySid(m, ev.message_sid);
        if (!firstId || !(await this.replies.isPending(m, firstId))) return null;
        return owed(firstId, pendingReplyKind(ev.body));
      }

      await this.events.received(m, number, when, {
        message_id: inboundId,
        twilio_sid: ev.message_sid,
        from,
        to: number.phone_number,
        body: ev.body,
        received_at: when.toISOString(),
      });
      const kind = await this.keywords.apply(m, { number, inboundId, from, body: ev.body, at: when });
      if (kind === 'none') return null;
      // Registered with the message: a redelivery after a crash finds it.
      await this.replies.register(m, inboundId, newId('msg'));
      return owed(inboundId, kind);
    });
  }
}
