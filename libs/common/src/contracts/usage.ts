/**
 * Contracts of LLM token usage and the monthly token budget: what messaging
 * and voice record per reply, call turn and call summary, how the gateway
 * asks them for it (`GET /v1/usage`), and the budget setting they keep a copy of.
 * A change to a payload is a new versioned key, never an edit.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsAccountId } from './account-id';

/** What a model call was for. */
export const LLM_USAGE_PURPOSES = ['sms_reply', 'call_turn', 'call_summary'] as const;
export type LlmUsagePurpose = (typeof LLM_USAGE_PURPOSES)[number];
export type UsageChannel = 'sms' | 'voice';

/** Longest range `GET /v1/usage` answers, in days (both ends included). */
export const USAGE_MAX_RANGE_DAYS = 92;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Query of `GET /v1/usage`. */
export class UsageQuery {
  @ApiProperty({ example: '2026-12-01', description: 'First day (UTC), YYYY-MM-DD' })
  @IsString({ message: 'from must be a date YYYY-MM-DD' })
  @Matches(ISO_DATE, { message: 'from must be a date YYYY-MM-DD' })
  from: string;

  @ApiProperty({
    example: '2026-12-31',
    description: `Last day (UTC), YYYY-MM-DD, included; at most ${USAGE_MAX_RANGE_DAYS} days after \`from\``,
  })
  @IsString({ message: 'to must be a date YYYY-MM-DD' })
  @Matches(ISO_DATE, { message: 'to must be a date YYYY-MM-DD' })
  to: string;

  @ApiPropertyOptional({ maxLength: 100, description: 'Only this agent' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  agent_id?: string;
}

/**
 * `messaging.usage.v1` / `voice.usage.v1`: the gateway's ask. `from` and
 * `to_exclusive` are UTC instants (checked by the gateway); `month_start` and
 * `month_end` bound the current budget month.
 */
export class UsageCommand {
  @IsAccountId()
  account_id: string;

  @IsString()
  from: string;

  @IsString()
  to_exclusive: string;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  agent_id?: string;

  @IsString()
  month_start: string;

  @IsString()
  month_end: string;
}

/** One day, agent and purpose of one service's usage. */
export interface UsageSliceRow {
  date: string;
  agent_id: string | null;
  purpose: LlmUsagePurpose;
  prompt_tokens: number;
  completion_tokens: number;
  count: number;
}

export interface UsageSlice {
  rows: UsageSliceRow[];
  /** The account's tokens (every agent) in the budget month so far, in this service. */
  month_tokens: number;
}

/** Tokens and LLM uses of a slice of usage (one row, or the totals). */
export class UsageTotalsDto {
  @ApiProperty({ type: 'integer' })
  prompt_tokens: number;

  @ApiProperty({ type: 'integer' })
  completion_tokens: number;

  @ApiProperty({ type: 'integer' })
  total_tokens: number;

  @ApiProperty({ type: 'integer', description: 'SMS replies the agent wrote' })
  sms_replies: number;

  @ApiProperty({ type: 'integer', description: 'Call turns the agent spoke' })
  call_turns: number;

  @ApiProperty({ type: 'integer', description: 'Calls summarised after they ended' })
  call_summaries: number;
}

/** One day, agent and channel of the account's usage. */
export class UsageRowDto extends UsageTotalsDto {
  @ApiProperty({ example: '2026-12-02', description: 'Day (UTC)' })
  date: string;

  @ApiProperty({ type: String, nullable: true })
  agent_id: string | null;

  @ApiProperty({ enum: ['sms', 'voice'] })
  channel: UsageChannel;
}

export class TokenBudgetDto {
  @ApiProperty({ example: '2026-12', description: 'The budget month (UTC)' })
  month: string;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'Tokens the account may use this month; null = unlimited',
  })
  monthly_token_budget: number | null;

  @ApiProperty({ type: 'integer', description: 'Tokens used this month, every agent' })
  used: number;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null when unlimited' })
  remaining: number | null;
}

export class UsageReportDto {
  @ApiProperty({ example: '2026-12-01' })
  from: string;

  @ApiProperty({ example: '2026-12-31' })
  to: string;

  @ApiProperty({ type: String, nullable: true })
  agent_id: string | null;

  @ApiProperty({ type: UsageTotalsDto })
  totals: UsageTotalsDto;

  @ApiProperty({
    type: [UsageRowDto],
    description: 'By day, agent and channel; days without usage are left out',
  })
  rows: UsageRowDto[];

  @ApiProperty({ type: TokenBudgetDto })
  budget: TokenBudgetDto;
}

/**
 * Published by the gateway (outbox, in the transaction of the settings
 * change) with the account's budget; `version` is the settings version, so a
 * consumer keeps the highest it has seen. `monthly_token_budget` null = the
 * deployment's default (`LLM_MONTHLY_TOKEN_BUDGET`), 0 = unlimited.
 */
export interface TokenBudgetChangedEvent {
  account_id: string;
  version: number;
  monthly_token_budget: number | null;
}

export const UsageCommands = {
  messaging: 'messaging.usage.v1',
  voice: 'voice.usage.v1',
} as const;

export const UsageEvents = {
  tokenBudgetChanged: 'accounts.token-budget-changed.v1',
} as const;

export interface UsageCommandMap {
  'messaging.usage.v1': { request: UsageCommand; response: UsageSlice };
  'voice.usage.v1': { request: UsageCommand; response: UsageSlice };
}

export interface UsageEventMap {
  'accounts.token-budget-changed.v1': TokenBudgetChangedEvent;
}
