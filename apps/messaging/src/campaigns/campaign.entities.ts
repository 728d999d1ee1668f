import { Column, Entity, PrimaryColumn } from 'typeorm';
import { AppError } from '@nixflex/common';
import type { CostEstimate } from '@nixflex/common/sms';

/** Stored statuses; `scheduled` is shown for a running campaign whose start is ahead. */
export type StoredCampaignStatus = 'draft' | 'running' | 'paused' | 'canceled' | 'completed';

/**
 * A campaign: one template from one number to many recipients. A `draft` is
 * being uploaded and is invisible; `campaigns.start.v1` makes its messages
 * and sets it `running` in one transaction.
 */
@Entity({ name: 'campaigns' })
export class Campaign {
  @PrimaryColumn('text')
  id: string;

  @Column('text', { name: 'account_id' })
  accountId: string;

  @Column('text', { name: 'api_key_id', nullable: true })
  apiKeyId: string | null;

  @Column('text', { name: 'agent_id' })
  agentId: string;

  @Column('text')
  name: string;

  @Column('text', { name: 'from_number' })
  fromNumber: string;

  @Column('text')
  message: string;

  @Column('text')
  status: StoredCampaignStatus;

  @Column('boolean', { name: 'respect_quiet_hours' })
  respectQuietHours: boolean;

  @Column('timestamptz', { name: 'send_at', nullable: true })
  sendAt: Date | null;

  @Column('timestamptz', { name: 'starts_at' })
  startsAt: Date;

  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  @Column('integer', { name: 'recipients_total' })
  recipientsTotal: number;

  @Column('integer', { name: 'skipped_total' })
  skippedTotal: number;

  @Column('integer', { name: 'over_600' })
  over600: number;

  @Column('integer', { name: 'segments_total' })
  segmentsTotal: number;

  @Column('jsonb', { name: 'estimated_cost', nullable: true })
  estimatedCost: CostEstimate | null;

  @Column('text', { name: 'idempotency_key', nullable: true })
  idempotencyKey: string | null;

  @Column('text', { name: 'request_hash', nullable: true })
  requestHash: string | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;

  @Column('timestamptz', { name: 'paused_at', nullable: true })
  pausedAt: Date | null;

  @Column('timestamptz', { name: 'canceled_at', nullable: true })
  canceledAt: Date | null;

  @Column('timestamptz', { name: 'completed_at', nullable: true })
  completedAt: Date | null;
}

/**
 * One row of a campaign's recipient list: skipped with a reason, or (once
 * the campaign starts) linked to the message it became. The rendered text is
 * kept from the upload so the start is one set-based insert.
 */
@Entity({ name: 'campaign_recipients' })
export class CampaignRecipient {
  @PrimaryColumn('text', { name: 'campaign_id' })
  campaignId: string;

  @PrimaryColumn('integer', { name: 'row_number' })
  rowNumber: number;

  @Column('text', { name: 'to_raw' })
  toRaw: string;

  @Column('text', { name: 'to_number', nullable: true })
  toNumber: string | null;

  @Column('jsonb', { nullable: true })
  variables: Record<string, string> | null;

  @Column('text', { nullable: true })
  country: string | null;

  @Column('text', { nullable: true })
  body: string | null;

  @Column('integer', { nullable: true })
  segments: number | null;

  @Column('text', { nullable: true })
  encoding: string | null;

  @Column('jsonb', { name: 'estimated_cost', nullable: true })
  estimatedCost: CostEstimate | null;

  @Column('text', { name: 'message_id', nullable: true })
  messageId: string | null;

  @Column('text', { name: 'skip_reason', nullable: true })
  skipReason: string | null;

  @Column('text', { name: 'skip_message', nullable: true })
  skipMessage: string | null;
}

export const CAMPAIGN_ENTITIES = [Campaign, CampaignRecipient];

/** `404 campaign_not_found`: no campaign of that id in the account (or one the caller may not see). */
export function campaignNotFound(id: string): AppError {
  return new AppError('campaign_not_found', `No campaign ${id.slice(0, 64)} in this account`);
}
