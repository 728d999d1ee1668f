/**
 * Contracts of SMS campaigns (apps/messaging owns them; docs/campaigns.md).
 * A campaign arrives in three steps so that 100,000 CSV rows are never one
 * message: `campaigns.create.v1` opens a draft, `campaigns.add-recipients.v1`
 * carries the rows in chunks as the gateway parses them, and
 * `campaigns.start.v1` turns the draft into messages in one transaction.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { ID_PATTERNS } from '../ids';
import type { CostEstimate } from '../sms';
import { IsAccountId } from './account-id';
import { CostEstimateDto } from './messaging';
import type { Page } from './pagination';
import { PageOf, PageQuery } from './pagination';

/** Recipients a JSON body may carry; a CSV upload may carry `CAMPAIGN_MAX_CSV_ROWS`. */
export const CAMPAIGN_MAX_INLINE_RECIPIENTS = 10_000;
export const CAMPAIGN_MAX_CSV_ROWS = 100_000;
/** Rows per `campaigns.add-recipients.v1` command. */
export const CAMPAIGN_CHUNK_ROWS = 2_000;

export const CAMPAIGN_STATUSES = ['scheduled', 'running', 'paused', 'canceled', 'completed'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Where each recipient is; a campaign's counts have one entry per state. */
export const CAMPAIGN_RECIPIENT_STATES = [
  'pending',
  'deferred',
  'queued',
  'sent',
  'delivered',
  'failed',
  'undelivered',
  'skipped',
  'canceled',
] as const;
export type CampaignRecipientState = (typeof CAMPAIGN_RECIPIENT_STATES)[number];

export const CAMPAIGN_SKIP_REASONS = [
  'invalid_number',
  'duplicate',
  'opted_out',
  'destination_not_allowed',
  'missing_variable',
  'message_empty',
  'message_too_long',
  'quiet_hours_unsupported_country',
] as const;
export type CampaignSkipReason = (typeof CAMPAIGN_SKIP_REASONS)[number];

export class CampaignRecipientInput {
  @ApiProperty({
    maxLength: 64,
    example: '+447700900123',
    description: 'E.164; anything else is skipped `invalid_number`',
  })
  @IsString()
  @MaxLength(64)
  to: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { first_name: 'Ada' },
    description: "Values of the template's `{{variables}}` for this recipient",
  })
  @IsOptional()
  @IsObject()
  variables?: Record<string, string>;
}

/** The campaign's own fields, as JSON or as the form fields before a CSV file. */
export class CampaignFields {
  @ApiProperty({ minLength: 1, maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiProperty({
    maxLength: 100,
    description: 'The agent the sending number is attached to; replies reach it',
  })
  @IsString()
  @MaxLength(100)
  agent_id: string;

  @ApiProperty({ maxLength: 32, example: '+447446466847' })
  @IsString()
  @MaxLength(32)
  from_number: string;

  @ApiProperty({
    description:
      "A template: `{{name}}` placeholders filled from each recipient's variables. Each rendered text must be 1 to 1600 characters, else that recipient is skipped",
    example: 'Hi {{first_name}}, your appointment is tomorrow. Reply to rebook.',
  })
  @IsString()
  @MaxLength(20000)
  message: string;

  @ApiPropertyOptional({
    example: '2026-12-24T10:00:00Z',
    description: 'Start later (as `send_at` on `POST /v1/sms`)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  send_at?: string;

  @ApiPropertyOptional({
    default: true,
    description:
      "Respect the recipients' quiet hours (the account's window): a message due inside them is deferred to their end",
  })
  @IsOptional()
  @IsBoolean()
  quiet_hours?: boolean;

  @ApiPropertyOptional({
    example: '2026-12-24T18:00:00Z',
    description: 'A message not handed to Twilio by then ends `failed` with `expired`',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  expires_at?: string;
}

/** `POST /v1/campaigns` as JSON. */
export class CreateCampaignBody extends CampaignFields {
  @ApiProperty({ type: () => [CampaignRecipientInput], maxItems: CAMPAIGN_MAX_INLINE_RECIPIENTS })
  @IsArray()
  @ArrayMaxSize(CAMPAIGN_MAX_INLINE_RECIPIENTS)
  @ValidateNested({ each: true })
  @Type(() => CampaignRecipientInput)
  recipients: CampaignRecipientInput[];
}

/** `campaigns.create.v1`: opens a draft (checks the campaign's own fields). */
export class CreateCampaignCommand extends CampaignFields {
  @IsAccountId()
  account_id: string;

  @IsOptional()
  @IsString()
  @MaxLength(100)
  api_key_id?: string;

  @Matches(ID_PATTERNS.campaign)
  campaign_id: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  idempotency_key?: string;
}

/** The answer to `campaigns.create.v1`: a draft to fill, or the campaign an Idempotency-Key already made. */
export interface CampaignDraft {
  campaign_id: string;
  replay: CampaignDto | null;
}

export class AddCampaignRecipientsCommand {
  @IsAccountId()
  account_id: string;

  @Matches(ID_PATTERNS.campaign)
  campaign_id: string;

  /** Row number of the first recipient (1-based, as in the CSV without its header). */
  @IsInt()
  @Min(1)
  first_row: number;

  @IsArray()
  @ArrayMaxSize(CAMPAIGN_CHUNK_ROWS)
  @ValidateNested({ each: true })
  @Type(() => CampaignRecipientInput)
  recipients: CampaignRecipientInput[];
}

export class CampaignRef {
  @IsAccountId()
  account_id: string;

  @IsString()
  @MaxLength(64)
  campaign_id: string;
}

export class ListCampaignsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: CAMPAIGN_STATUSES })
  @IsOptional()
  @IsIn(CAMPAIGN_STATUSES)
  status?: CampaignStatus;
}

export class ListCampaignsCommand extends ListCampaignsQuery {
  @IsAccountId()
  account_id: string;
}

export class ListCampaignRecipientsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: CAMPAIGN_RECIPIENT_STATES })
  @IsOptional()
  @IsIn(CAMPAIGN_RECIPIENT_STATES)
  state?: CampaignRecipientState;
}

export class ListCampaignRecipientsCommand extends ListCampaignRecipientsQuery {
  @IsAccountId()
  account_id: string;

  @IsString()
  @MaxLength(64)
  campaign_id: string;
}

export class CampaignCountsDto implements Record<CampaignRecipientState, number> {
  @ApiProperty({ description: "Waiting for the campaign to start or for the sender's pace" })
  pending: number;
  @ApiProperty({ description: "Waiting for the end of the recipient's quiet hours" })
  deferred: number;
  @ApiProperty({ description: 'Handed to the sender, not yet accepted by the carrier' })
  queued: number;
  @ApiProperty()
  sent: number;
  @ApiProperty()
  delivered: number;
  @ApiProperty()
  failed: number;
  @ApiProperty()
  undelivered: number;
  @ApiProperty({ description: 'Never sent: see `skipped_by_reason`' })
  skipped: number;
  @ApiProperty({ description: 'Stopped by a cancel before reaching Twilio' })
  canceled: number;
}

export class CampaignDto {
  @ApiProperty({ example: 'cmp_0123456789abcdef' })
  campaign_id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ enum: CAMPAIGN_STATUSES })
  status: CampaignStatus;

  @ApiProperty()
  agent_id: string;

  @ApiProperty()
  from_number: string;

  @ApiProperty({ description: 'The template as given' })
  message: string;

  @ApiProperty()
  respect_quiet_hours: boolean;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  send_at: string | null;

  @ApiProperty({
    format: 'date-time',
    description: 'When the campaign starts (its `send_at`, else its creation)',
  })
  starts_at: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  expires_at: string | null;

  @ApiProperty({ description: 'Rows received, skipped ones included' })
  recipients_total: number;

  @ApiProperty({ type: () => CampaignCountsDto })
  counts: CampaignCountsDto;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    example: { duplicate: 2, invalid_number: 1 },
  })
  skipped_by_reason: Partial<Record<CampaignSkipReason, number>>;

  @ApiProperty({
    description: 'Rendered texts longer than 600 characters (sent, with the deliverability warning)',
  })
  over_600: number;

  @ApiProperty({ description: 'Segments of every message to send' })
  segments_total: number;

  @ApiProperty({ type: () => CostEstimateDto, nullable: true })
  estimated_cost: CostEstimate | null;

  @ApiProperty({
    description: "The sender's pace in segments per second (Infinity is reported as null)",
    nullable: true,
    type: Number,
  })
  pace_per_second: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description:
      "When the last message should be handed to Twilio at the sender's pace; null once nothing is left",
  })
  eta: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  paused_at: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  canceled_at: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  completed_at: string | null;
}

export class CampaignRecipientDto {
  @ApiProperty({ description: '1-based position in the request (the CSV row without its header)' })
  row: number;

  @ApiProperty({ description: 'E.164 when valid, else as given' })
  to: string;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, nullable: true })
  variables: Record<string, string> | null;

  @ApiProperty({ enum: CAMPAIGN_RECIPIENT_STATES })
  state: CampaignRecipientState;

  @ApiProperty({ enum: CAMPAIGN_SKIP_REASONS, nullable: true })
  skip_reason: CampaignSkipReason | null;

  @ApiProperty({ type: String, nullable: true })
  skip_message: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The message it became (`GET /v1/sms/{id}`)' })
  message_id: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  scheduled_for: string | null;

  @ApiProperty({ type: String, nullable: true })
  error_code: string | null;
}

export class CampaignPage extends PageOf(CampaignDto) {}
export class CampaignRecipientPage extends PageOf(CampaignRecipientDto) {}

export const CampaignsCommands = {
  create: 'campaigns.create.v1',
  addRecipients: 'campaigns.add-recipients.v1',
  start: 'campaigns.start.v1',
  discard: 'campaigns.discard.v1',
  get: 'campaigns.get.v1',
  list: 'campaigns.list.v1',
  recipients: 'campaigns.recipients.v1',
  pause: 'campaigns.pause.v1',
  resume: 'campaigns.resume.v1',
  cancel: 'campaigns.cancel.v1',
} as const;

export interface CampaignsCommandMap {
  'campaigns.create.v1': { request: CreateCampaignCommand; response: CampaignDraft };
  'campaigns.add-recipients.v1': { request: AddCampaignRecipientsCommand; response: { stored: number } };
  'campaigns.start.v1': { request: CampaignRef; response: CampaignDto };
  'campaigns.discard.v1': { request: CampaignRef; response: { discarded: boolean } };
  'campaigns.get.v1': { request: CampaignRef; response: CampaignDto };
  'campaigns.list.v1': { request: ListCampaignsCommand; response: Page<CampaignDto> };
  'campaigns.recipients.v1': { request: ListCampaignRecipientsCommand; response: Page<CampaignRecipientDto> };
  'campaigns.pause.v1': { request: CampaignRef; response: CampaignDto };
  'campaigns.resume.v1': { request: CampaignRef; response: CampaignDto };
  'campaigns.cancel.v1': { request: CampaignRef; response: CampaignDto };
}
