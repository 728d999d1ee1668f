import { Injectable } from '@nestjs/common';
import { CustomerEvents, Outbox, ResolvedNumber, SmsLoopSignal, SmsReplyGuardCode } from '@nixflex/common';
import { EntityManager } from 'typeorm';

/** `data` of the customer events inbound SMS announces, in the order the customer sees the fields. */
export interface SmsReceivedData {
  message_id: string;
  twilio_sid: string;
  from: string;
  to: string;
  body: string;
  received_at: string;
}

export interface SmsRepliedData {
  message_id: string;
  in_reply_to: string;
  from: string;
  to: string;
  body: string;
}

export interface SmsOptedOutData {
  phone_number: string;
  recipient: string;
  source: 'keyword';
  keyword: string;
  message_id: string;
}

export interface SmsOptedInData {
  phone_number: string;
  recipient: string;
  keyword: string;
  message_id: string;
}

/** A reply not made because the account's monthly LLM token budget is used up. */
export interface BudgetExhaustedSmsData {
  message_id: string;
  month: string;
  monthly_token_budget: number | null;
  used: number;
}

/** An inbound text stored and forwarded but not answered, because of an LLM guard (docs/operations.md). */
export interface SmsReplyGuardedData {
  message_id: string;
  /** The contact who texted. */
  from: string;
  /** Our number. */
  to: string;
  code: SmsReplyGuardCode;
  /** `loop_detected` only: the sign seen. */
  signal: SmsLoopSignal | null;
  /** The inbound message that showed the sign (this one or an earlier one); null for the cap. */
  signal_message_id: string | null;
  /** The same words as the message's `error_message`. */
  reason: string;
}

interface InboundEventData {
  'sms.received': SmsReceivedData;
  'sms.replied': SmsRepliedData;
  'sms.opted_out': SmsOptedOutData;
  'sms.opted_in': SmsOptedInData;
  'llm.budget_exhausted': BudgetExhaustedSmsData & { channel: 'sms' };
  'sms.reply_guarded': SmsReplyGuardedData;
}

/**
 * The customer events of inbound SMS, each written to the outbox in the
 * transaction of the change it announces. The event id derives from the
 * message it is about (`evt_received_<msg>`, `evt_replied_<reply>`, ...), so a
 * redelivered inbound event cannot announce anything twice.
 */
@Injectable()
export class InboundEvents {
  constructor(private readonly outbox: Outbox) {}

  received(m: EntityManager, number: ResolvedNumber, at: Date, data: SmsReceivedData): Promise<void> {
    return this.emit(m, number, 'sms.received', data.message_id, at, data);
  }

  replied(m: EntityManager, number: ResolvedNumber, data: SmsRepliedData): Promise<void> {
    return this.emit(m, number, 'sms.replied', data.message_id, new Date(), data);
  }

  optedOut(m: EntityManager, number: ResolvedNumber, at: Date, data: SmsOptedOutData): Promise<void> {
    return this.emit(m, number, 'sms.opted_out', data.message_id, at, data);
  }

  optedIn(m: EntityManager, number: ResolvedNumber, at: Date, data: SmsOptedInData): Promise<void> {
    return this.emit(m, number, 'sms.opted_in', data.message_id, at, data);
  }

  budgetExhausted(m: EntityManager, number: ResolvedNumber, data: BudgetExhaustedSmsData): Promise<void> {
    return this.emit(m, number, 'llm.budget_exhausted', data.message_id, new Date(), {
      channel: 'sms',
      ...data,
    });
  }

  replyGuarded(m: EntityManager, number: ResolvedNumber, data: SmsReplyGuardedData): Promise<void> {
    return this.emit(m, number, 'sms.reply_guarded', data.message_id, new Date(), data);
  }

  /** Starts the relay of what the committed transactions wrote. */
  flush(): void {
    this.outbox.kick();
  }

  private async emit<T extends keyof InboundEventData>(
    m: EntityManager,
    number: ResolvedNumber,
    type: T,
    ref: string,
    at: Date,
    data: InboundEventData[T],
  ): Promise<void> {
    await this.outbox.add(m, CustomerEvents.emit, {
      event_id: `evt_${type.slice(4)}_${ref}`,
      account_id: number.account_id,
      phone_number: number.phone_number,
      agent_id: number.agent_id,
      type,
      occurred_at: at.toISOString(),
      data: { ...data },
    });
  }
}
