import { Injectable } from '@nestjs/common';
import {
  AppError,
  BrokerClient,
  Clock,
  USAGE_MAX_RANGE_DAYS,
  UsageChannel,
  UsageCommand,
  UsageCommands,
  UsageQuery,
  UsageReportDto,
  UsageRowDto,
  UsageSlice,
  config,
} from '@nixflex/common';
import { budgetMonth } from '@nixflex/common/usage/token-budget';
import { AccountSettingsService } from '../account-settings/account-settings.service';

const DAY_MS = 86_400_000;

/**
 * `GET /v1/usage`: asks messaging (SMS replies) and voice (call turns and
 * summaries) for their slices side by side and merges them by day, agent and
 * channel, with the month's budget (the account's setting, else
 * LLM_MONTHLY_TOKEN_BUDGET) against what both recorded this month.
 */
@Injectable()
export class UsageService {
  constructor(
    private readonly broker: BrokerClient,
    private readonly settings: AccountSettingsService,
    private readonly clock: Clock,
  ) {}

  async report(accountId: string, q: UsageQuery): Promise<UsageReportDto> {
    const [from, to] = [day('from', q.from), day('to', q.to)];
    if (to < from) throw new AppError('invalid_date_range', '`to` must not be before `from`');
    const days = (to.getTime() - from.getTime()) / DAY_MS + 1;
    if (days > USAGE_MAX_RANGE_DAYS) {
      throw new AppError(
        'invalid_date_range',
        `The range is ${days} days; at most ${USAGE_MAX_RANGE_DAYS} days can be asked at once`,
      );
    }
    const month = budgetMonth(this.clock.now());
    const cmd: UsageCommand = {
      account_id: accountId,
      from: from.toISOString(),
      to_exclusive: new Date(to.getTime() + DAY_MS).toISOString(),
      ...(q.agent_id ? { agent_id: q.agent_id } : {}),
      month_start: month.start.toISOString(),
      month_end: month.end.toISOString(),
    };
    const [sms, voice, settings] = await Promise.all([
      this.broker.request(UsageCommands.messaging, cmd),
      this.broker.request(UsageCommands.voice, cmd),
      this.settings.get(accountId),
    ]);
    const rows = [...rowsOf('sms', sms), ...rowsOf('voice', voice)].sort(
      (a, b) =>
        a.date.localeCompare(b.date) ||
        (a.agent_id ?? '').localeCompare(b.agent_id ?? '') ||
        a.channel.localeCompare(b.channel),
    );
    const sum = (f: (r: UsageRowDto) => number) => rows.reduce((n, r) => n + f(r), 0);
    const own = settings.monthly_token_budget ?? config().llmMonthlyTokenBudget;
    const budget = own === 0 ? null : own;
    const used = sms.month_tokens + voice.month_tokens;
    return {
      from: q.from,
      to: q.to,
      agent_id: q.agent_id ?? null,
      totals: {
        prompt_tokens: sum((r) => r.prompt_tokens),
        completion_tokens: sum((r) => r.completion_tokens),
        total_tokens: sum((r) => r.total_tokens),
        sms_replies: sum((r) => r.sms_replies),
        call_turns: sum((r) => r.call_turns),
        call_summaries: sum((r) => r.call_summaries),
      },
      rows,
      budget: {
        month: month.month,
        monthly_token_budget: budget,
        used,
        remaining: budget === null ? null : Math.max(0, budget - used),
      },
    };
  }
}

/** A YYYY-MM-DD that is a real day, as its UTC midnight. */
function day(field: 'from' | 'to', value: string): Date {
  const d = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) {
    throw new AppError('invalid_date_range', `\`${field}\` is not a calendar date: ${value}`);
  }
  return d;
}

/** One service's slice as public rows: one per day, agent and channel. */
function rowsOf(channel: UsageChannel, slice: UsageSlice): UsageRowDto[] {
  const rows = new Map<string, UsageRowDto>();
  for (const r of slice.rows) {
    const key = `${r.date}|${r.agent_id ?? ''}`;
    const row = rows.get(key) ?? {
      date: r.date,
      agent_id: r.agent_id,
      channel,
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      sms_replies: 0,
      call_turns: 0,
      call_summaries: 0,
    };
    row.prompt_tokens += r.prompt_tokens;
    row.completion_tokens += r.completion_tokens;
    row.total_tokens += r.prompt_tokens + r.completion_tokens;
    switch (r.purpose) {
      case 'sms_reply':
        row.sms_replies += r.count;
        break;
      case 'call_turn':
        row.call_turns += r.count;
        break;
      case 'call_summary':
        row.call_summaries += r.count;
        break;
      default: {
        const unknown: never = r.purpose;
        return unknown;
      }
    }
    rows.set(key, row);
  }
  return [...rows.values()];
}
