import { Injectable } from '@nestjs/common';
import { CallerHistoryQuery, TextHistoryEntry, toE164 } from '@nixflex/common';
import { ConversationRepository } from './conversation.repository';

/** Texts one answer carries without a `limit`, and at most (the contract's bound). */
export const TEXT_HISTORY_LIMIT = { default: 5, max: 50 };
/** Longest body in an answer: a prompt line, not a transcript. */
export const TEXT_HISTORY_BODY_CHARS = 400;

/**
 * `sms.caller-history.v1`: the texts between one of the account's numbers and
 * a caller, for another channel's prompt (a call's agent knows what was
 * texted). The newest `limit`, oldest first, without outbound messages the
 * caller never got and without `exclude_id`; each body at most 400 characters.
 */
@Injectable()
export class TextHistoryService {
  constructor(private readonly conversation: ConversationRepository) {}

  async texts(q: CallerHistoryQuery): Promise<TextHistoryEntry[]> {
    const rows = await this.conversation.recentTexts({
      accountId: q.account_id,
      // Stored in E.164 (inbound normalises From, sends normalise To).
      ourNumber: toE164(q.our_number) ?? q.our_number,
      otherParty: toE164(q.other_party) ?? q.other_party,
      excludeId: q.exclude_id,
      limit: Math.min(q.limit ?? TEXT_HISTORY_LIMIT.default, TEXT_HISTORY_LIMIT.max),
      // One more than kept, so a cut body can be told from one exactly 400 long.
      bodyChars: TEXT_HISTORY_BODY_CHARS + 1,
    });
    return rows.map((r) => ({ at: r.at.toISOString(), direction: r.direction, body: cut(r.body) }));
  }
}

/** At most TEXT_HISTORY_BODY_CHARS characters (code points, as SQL cut them), `…` marking a cut. */
export function cut(body: string): string {
  const chars = [...body];
  if (chars.length <= TEXT_HISTORY_BODY_CHARS) return body;
  return `${chars.slice(0, TEXT_HISTORY_BODY_CHARS - 1).join('')}…`;
}
