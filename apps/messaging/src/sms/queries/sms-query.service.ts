import { Injectable } from '@nestjs/common';
import { AppError, GetSmsCommand, ListSmsCommand, Page, SmsDetailDto, SmsDto } from '@nixflex/common';
import { mapPage } from '@nixflex/common/db/keyset';
import { toSmsDto, toStatusChange } from './sms.mapper';
import { MessagesRepository } from '../data';

const CONVERSATION_LIMIT = 100;

/** Tracking reads, always scoped by account: another account's message is `message_not_found`. */
@Injectable()
export class SmsQueryService {
  constructor(private readonly repo: MessagesRepository) {}

  async get(cmd: GetSmsCommand): Promise<SmsDetailDto> {
    const msg = await this.repo.findForAccount(cmd.account_id, cmd.id);
    if (!msg) throw new AppError('message_not_found', `No message ${cmd.id} in this account`);
    const [history, conversation] = await Promise.all([
      this.repo.history(msg.id),
      this.repo.conversationSince(msg, CONVERSATION_LIMIT),
    ]);
    return {
      ...toSmsDto(msg),
      status_history: history.map(toStatusChange),
      conversation: conversation.map(toSmsDto),
    };
  }

  async list(cmd: ListSmsCommand): Promise<Page<SmsDto>> {
    const page = await this.repo.list({
      accountId: cmd.account_id,
      agentId: cmd.agent_id,
      fromNumber: cmd.from_number,
      toNumber: cmd.to,
      status: cmd.status,
      cursor: cmd.cursor,
      limit: cmd.limit,
    });
    return mapPage(page, toSmsDto);
  }
}
