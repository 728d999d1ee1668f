import { Injectable, Logger } from '@nestjs/common';
import { AppError, CallDetailDto, CallDto, GetCallCommand, ListCallsCommand, Page } from '@nixflex/common';
import { mapPage } from '@nixflex/common/db/keyset';
import { CallQueriesRepository } from '../data/call-queries.repository';
import { CallsRepository } from '../data/calls.repository';
import { CallLinksClient } from '../wrapup/call-links.client';
import { toCallDto, toCallStatusChange, toCallTurn } from './call.mapper';

/** How long the call's detail waits for its texts (messaging) and bookings (numbers). */
const LINKS_TIMEOUT_MS = 1500;

/**
 * `GET /v1/calls` and `GET /v1/calls/:id`: another account's call is
 * `call_not_found`, as is none. The detail adds the call's texts and bookings,
 * asked of their owners in parallel with a short timeout: an owner that does
 * not answer in time gives `null` (unknown), never a failed detail.
 */
@Injectable()
export class CallQueryService {
  private readonly logger = new Logger('CallQueries');

  constructor(
    private readonly queries: CallQueriesRepository,
    private readonly calls: CallsRepository,
    private readonly links: CallLinksClient,
  ) {}

  async get(cmd: GetCallCommand): Promise<CallDetailDto> {
    const call = await this.queries.findForAccount(cmd.account_id, cmd.id);
    if (!call) throw new AppError('call_not_found', `No call ${cmd.id} in this account`);
    const [turns, history, sms, bookings] = await Promise.all([
      this.calls.turns(call.id),
      this.queries.history(call.id),
      this.orUnknown('texts', this.links.texts(call.accountId, call.id, LINKS_TIMEOUT_MS)),
      this.orUnknown('bookings', this.links.bookings(call.accountId, call.id, LINKS_TIMEOUT_MS)),
    ]);
    return {
      ...toCallDto(call),
      prompt: call.prompt,
      first_message: call.firstMessage,
      summary: call.summary,
      post_call_sms: call.postCallSmsState,
      sms,
      bookings,
      turns: turns.map(toCallTurn),
      status_history: history.map(toCallStatusChange),
    };
  }

  async list(cmd: ListCallsCommand): Promise<Page<CallDto>> {
    const page = await this.queries.list({
      accountId: cmd.account_id,
      agentId: cmd.agent_id,
      ourNumber: cmd.phone_number,
      direction: cmd.direction,
      status: cmd.status,
      cursor: cmd.cursor,
      limit: cmd.limit,
    });
    return mapPage(page, toCallDto);
  }

  private async orUnknown<T>(what: string, asked: Promise<T>): Promise<T | null> {
    try {
      return await asked;
    } catch (err) {
      this.logger.warn(`a call's ${what} unavailable, answering without: ${(err as Error).message}`);
      return null;
    }
  }
}
