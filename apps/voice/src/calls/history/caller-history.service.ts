import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CallHistoryEntry, CallStatus, CallerHistoryQuery, CallDirection } from '@nixflex/common';
import { DataSource } from 'typeorm';
import { shortTranscript } from './call-transcript';

const DEFAULT_LIMIT = 5;

interface CallRow {
  id: string;
  created_at: Date;
  direction: CallDirection;
  status: CallStatus;
  duration_s: number | null;
}

interface TurnRow {
  call_id: string;
  role: 'caller' | 'agent';
  text: string;
}

/**
 * `voice.caller-history.v1`: this account's earlier calls between our number
 * and the other party, newest `limit`, oldest first, each with a short
 * transcript. Two indexed reads (calls by caller, then their turns). Messaging
 * asks it for SMS replies; the relay session calls it in process.
 */
@Injectable()
export class CallerHistoryService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async calls(q: CallerHistoryQuery): Promise<CallHistoryEntry[]> {
    const calls: CallRow[] = await this.ds.query(
      `SELECT "id", "created_at", "direction", "status", "duration_s" FROM "voice"."calls"
       WHERE "account_id" = $1 AND "our_number" = $2 AND "other_party" = $3 AND "id" <> $4
       ORDER BY "created_at" DESC LIMIT $5`,
      [q.account_id, q.our_number, q.other_party, q.exclude_id ?? '', q.limit ?? DEFAULT_LIMIT],
    );
    if (calls.length === 0) return [];
    const turns: TurnRow[] = await this.ds.query(
      `SELECT "call_id", "role", "text" FROM "voice"."call_turns" WHERE "call_id" = ANY($1) ORDER BY "call_id", "seq"`,
      [calls.map((c) => c.id)],
    );
    const byCall = new Map<string, TurnRow[]>();
    for (const t of turns) {
      const list = byCall.get(t.call_id) ?? [];
      list.push(t);
      byCall.set(t.call_id, list);
    }
    return calls.reverse().map((c) => ({
      call_id: c.id,
      at: new Date(c.created_at).toISOString(),
      direction: c.direction,
      status: c.status,
      duration_s: c.duration_s,
      transcript: shortTranscript(byCall.get(c.id) ?? []),
    }));
  }
}
