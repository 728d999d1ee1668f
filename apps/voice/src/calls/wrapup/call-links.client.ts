import { Injectable } from '@nestjs/common';
import {
  BookingDto,
  BrokerClient,
  CalendarCommands,
  CallSmsDto,
  ListSmsCommand,
  MessagingCommands,
  SendCallSmsCommand,
  SmsAcceptedDto,
  SmsDto,
} from '@nixflex/common';

/** Most texts or bookings one call lists (a page; a call has a handful). */
const LIST_LIMIT = 200;

/**
 * What other services own about a call, asked over RabbitMQ: its texts
 * (messaging, by `call_id`), its bookings (numbers, by `call_id`), and the
 * post-call SMS (messaging's `sms.call-send.v1`, idempotent on its key).
 * Every method throws the AppError it got (`upstream_timeout`,
 * `service_unavailable`, a refusal's own code): the caller decides whether
 * that means retry, null or skip.
 */
@Injectable()
export class CallLinksClient {
  constructor(private readonly broker: BrokerClient) {}

  /** The call's texts, oldest first. */
  async texts(accountId: string, callId: string, timeoutMs: number): Promise<CallSmsDto[]> {
    const query: ListSmsCommand = { account_id: accountId, call_id: callId, limit: LIST_LIMIT };
    const page = await this.broker.request(MessagingCommands.smsList, query, {
      timeoutMs,
      expireWithTimeout: true,
    });
    // Listed newest first; a call's texts read oldest first.
    return [...page.data].reverse().map((m: SmsDto) => ({
      message_id: m.message_id,
      source: m.source,
      to: m.to,
      message: m.message,
      status: m.status,
    }));
  }

  /** The call's bookings and failed attempts, oldest first. */
  async bookings(accountId: string, callId: string, timeoutMs: number): Promise<BookingDto[]> {
    const page = await this.broker.request(
      CalendarCommands.bookingsList,
      { account_id: accountId, call_id: callId, limit: LIST_LIMIT },
      { timeoutMs, expireWithTimeout: true },
    );
    return [...page.data].reverse();
  }

  /** Not expired with the timeout: a send that arrives late is still the same (idempotent) send. */
  sendCallSms(cmd: SendCallSmsCommand, timeoutMs: number): Promise<SmsAcceptedDto> {
    return this.broker.request(MessagingCommands.callSmsSend, cmd, { timeoutMs });
  }
}
