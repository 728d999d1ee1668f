import { Injectable, Logger } from '@nestjs/common';
import {
  AppError,
  BookingDto,
  BrokerClient,
  CalendarCommands,
  GetSmsCommand,
  ListSmsCommand,
  Page,
  SmsDetailDto,
  SmsDto,
} from '@nixflex/common';
import { mapPage } from '@nixflex/common/db/keyset';
import { toSmsDto, toStatusChange } from './sms.mapper';
import { MessagesRepository, SmsMessage } from '../data';

const CONVERSATION_LIMIT = 100;
/** The thread's bookings shown with a message, newest first. */
const BOOKINGS_LIMIT = 20;
/**
 * How long a message's detail waits for its thread's bookings (asked of
 * numbers while the message's own rows are read). Short: without them the
 * detail still answers, with an empty list.
 */
export const THREAD_BOOKINGS_TIMEOUT_MS = 1500;

/** Tracking reads, always scoped by account: another account's message is `message_not_found`. */
@Injectable()
export class SmsQueryService {
  private readonly logger = new Logger('SmsQuery');

  constructor(
    private readonly repo: MessagesRepository,
    private readonly broker: BrokerClient,
  ) {}

  async get(cmd: GetSmsCommand): Promise<SmsDetailDto> {
    const msg = await this.repo.findForAccount(cmd.account_id, cmd.id);
    if (!msg) throw new AppError('message_not_found', `No message ${cmd.id} in this account`);
    const [history, conversation, bookings] = await Promise.all([
      this.repo.history(msg.id),
      this.repo.conversationSince(msg, CONVERSATION_LIMIT),
      this.threadBookings(msg),
    ]);
    return {
      ...toSmsDto(msg),
      status_history: history.map(toStatusChange),
      conversation: conversation.map(toSmsDto),
      bookings,
    };
  }

  async list(cmd: ListSmsCommand): Promise<Page<SmsDto>> {
    const page = await this.repo.list({
      accountId: cmd.account_id,
      agentId: cmd.agent_id,
      fromNumber: cmd.from_number,
      toNumber: cmd.to,
      status: cmd.status,
      callId: cmd.call_id,
      cursor: cmd.cursor,
      limit: cmd.limit,
    });
    return mapPage(page, toSmsDto);
  }

  /**
   * The bookings made with the other party on our number (in calls or
   * texts), asked of numbers, which owns them. Never fails the detail: no
   * answer in time, or any error, is an empty list and a warning line.
   */
  private async threadBookings(msg: SmsMessage): Promise<BookingDto[]> {
    try {
      const page = await this.broker.request(
        CalendarCommands.bookingsList,
        {
          account_id: msg.accountId,
          phone_number: msg.ourNumber,
          contact: msg.otherParty,
          limit: BOOKINGS_LIMIT,
        },
        { timeoutMs: THREAD_BOOKINGS_TIMEOUT_MS, expireWithTimeout: true },
      );
      return page.data;
    } catch (err) {
      this.logger.warn(
        `bookings of ${msg.id}'s thread unavailable, answering without: ${(err as Error).message}`,
      );
      return [];
    }
  }
}
