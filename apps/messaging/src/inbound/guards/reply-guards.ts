import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  MessagingEvents,
  Outbox,
  ResolvedNumber,
  SmsGuardSettings,
  SmsLoopSignal,
  SmsReplyGuardCode,
} from '@nixflex/common';
import { EntityManager } from 'typeorm';
import { InboundEvents } from '../inbound-events';
import { GuardsRepository } from './guards.repository';
import { LoopThresholds, LoopVerdict, detectLoop } from './loop-detector';

/** Injection token of the `SmsGuardSettings` (`config().smsGuards` in the service). */
export const SMS_GUARD_SETTINGS = 'NIXFLEX_SMS_GUARD_SETTINGS';

/** Why an inbound message is not answered: its code, the loop's sign, and the words shown on the message. */
export interface GuardVerdict {
  code: SmsReplyGuardCode;
  signal: SmsLoopSignal | null;
  /** The inbound message that showed the sign (null for the cap). */
  signalMessageId: string | null;
  reason: string;
}

/** What of an owed reply the guards need. */
export interface GuardedReply {
  inboundId: string;
  number: ResolvedNumber;
  from: string;
}

/**
 * The guards an inbound message passes before the agent's LLM is asked:
 * the auto-responder loop detector, then the reply cap per conversation.
 * Both read the stored conversation (durable, shared by every messaging
 * replica, and the same answer on a redelivery); neither keeps state of its
 * own. A verdict is recorded by the caller as a skipped reply, with
 * `announce` in the same transaction.
 */
@Injectable()
export class ReplyGuards {
  private readonly logger = new Logger('ReplyGuards');

  constructor(
    private readonly repo: GuardsRepository,
    private readonly outbox: Outbox,
    private readonly events: InboundEvents,
    @Inject(SMS_GUARD_SETTINGS) private readonly settings: SmsGuardSettings,
  ) {}

  /** Null when the agent may answer `inboundId`; else why not. */
  async check(inboundId: string): Promise<GuardVerdict | null> {
    const s = this.settings;
    if (s.loopDetection) {
      // Twice the cooldown back, so a streak that started before it still counts; signs only within it.
      const thread = await this.repo.threadUpTo(inboundId, 2 * s.loopCooldownS);
      const now = thread[thread.length - 1]?.at ?? new Date();
      const since = new Date(now.getTime() - s.loopCooldownS * 1000);
      const loop = detectLoop(thread, thresholds(s), since);
      if (loop) return this.loopVerdict(inboundId, loop);
    }
    if (s.replyCap > 0) {
      const replies = await this.repo.repliesBefore(inboundId, s.replyCapWindowS);
      if (replies >= s.replyCap) {
        return {
          code: 'reply_cap_reached',
          signal: null,
          signalMessageId: null,
          reason: `Not answered: the agent already replied ${replies} times to this contact in the last ${duration(s.replyCapWindowS)} (the cap is ${s.replyCap})`,
        };
      }
    }
    return null;
  }

  /**
   * `sms.reply-guarded.v1` and the customer's `sms.reply_guarded`, in the
   * transaction that records the skipped reply.
   */
  async announce(m: EntityManager, reply: GuardedReply, verdict: GuardVerdict): Promise<void> {
    this.logger.log(
      `Reply to ${reply.inboundId} not sent: ${verdict.code}${verdict.signal ? ` (${verdict.signal})` : ''}`,
    );
    await this.events.replyGuarded(m, reply.number, {
      message_id: reply.inboundId,
      from: reply.from,
      to: reply.number.phone_number,
      code: verdict.code,
      signal: verdict.signal,
      signal_message_id: verdict.signalMessageId,
      reason: verdict.reason,
    });
    await this.outbox.add(m, MessagingEvents.smsReplyGuarded, {
      message_id: reply.inboundId,
      account_id: reply.number.account_id,
      agent_id: reply.number.agent_id,
      our_number: reply.number.phone_number,
      other_party: reply.from,
      code: verdict.code,
      signal: verdict.signal,
      signal_message_id: verdict.signalMessageId,
      reason: verdict.reason,
      at: new Date().toISOString(),
    });
  }

  private loopVerdict(inboundId: string, loop: LoopVerdict): GuardVerdict {
    const until = new Date(loop.at.getTime() + this.settings.loopCooldownS * 1000).toISOString();
    const seen =
      loop.messageId === inboundId
        ? `this text looks automatic (${loop.signal}: ${loop.detail})`
        : `an auto-responder loop was detected at ${loop.at.toISOString()} (${loop.signal}: ${loop.detail})`;
    return {
      code: 'loop_detected',
      signal: loop.signal,
      signalMessageId: loop.messageId,
      reason: `Not answered: ${seen}; this conversation is not answered until ${until}`,
    };
  }
}

function thresholds(s: SmsGuardSettings): LoopThresholds {
  return {
    fastBaseMs: s.loopFastBaseMs,
    fastMsPerChar: s.loopFastMsPerChar,
    fastStreak: s.loopFastStreak,
    repeats: s.loopRepeats,
  };
}

/** `3600` -> `60 min`, `86400` -> `24 h`, `45` -> `45 s`. */
function duration(seconds: number): string {
  if (seconds % 3600 === 0 && seconds >= 7200) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
