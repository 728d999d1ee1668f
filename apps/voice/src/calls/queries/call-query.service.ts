import { Injectable } from '@nestjs/common';
import { AppError, CallDetailDto, CallDto, GetCallCommand, ListCallsCommand, Page } from '@nixflex/common';
import { mapPage } from '@nixflex/common/db/keyset';
import { CallQueriesRepository } from '../data/call-queries.repository';
import { CallsRepository } from '../data/calls.repository';
import { toCallDto, toCallStatusChange, toCallTurn } from './call.mapper';

/** `GET /v1/calls` and `GET /v1/calls/:id`: another account's call is `call_not_found`, as is none. */
@Injectable()
export class CallQueryService {
  constructor(
    private readonly queries: CallQueriesRepository,
    private readonly calls: CallsRepository,
  ) {}

  async get(cmd: GetCallCommand): Promise<CallDetailDto> {
    const call = await this.queries.findForAccount(cmd.account_id, cmd.id);
    if (!call) throw new AppError('call_not_found', `No call ${cmd.id} in this account`);
    const [turns, history] = await Promise.all([this.calls.turns(call.id), this.queries.history(call.id)]);
    return {
      ...toCallDto(call),
      prompt: call.prompt,
      first_message: call.firstMessage,
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
}
