import { Injectable } from '@nestjs/common';
import {
  AppError,
  CAMPAIGN_RECIPIENT_STATES,
  CampaignDto,
  CampaignRecipientDto,
  CampaignRef,
  CampaignStatus,
  Clock,
  ListCampaignRecipientsCommand,
  ListCampaignsCommand,
  Page,
  decodeCursor,
  encodeCursor,
} from '@nixflex/common';
import { DEFAULT_PAGE_LIMIT } from '@nixflex/common/db/keyset';
import { Campaign, campaignNotFound } from './campaign.entities';
import { CampaignsRepository, CampaignTally } from './campaigns.repository';
import { SenderPace } from './sender-pace';

/** Reads campaigns: one, a page of them, and a page of one's recipients. */
@Injectable()
export class CampaignQueryService {
  constructor(
    private readonly repo: CampaignsRepository,
    private readonly clock: Clock,
    private readonly pace: SenderPace,
  ) {}

  async get(ref: CampaignRef): Promise<CampaignDto> {
    return this.toDto(await this.visible(ref));
  }

  /** A started campaign of the account (drafts are invisible), else `404 campaign_not_found`. */
  async visible(ref: CampaignRef): Promise<Campaign> {
    const c = await this.repo.findForAccount(ref.account_id, ref.campaign_id);
    if (!c || c.status === 'draft') throw campaignNotFound(ref.campaign_id);
    return c;
  }

  async list(cmd: ListCampaignsCommand): Promise<Page<CampaignDto>> {
    const limit = cmd.limit ?? DEFAULT_PAGE_LIMIT;
    const after = cmd.cursor ? decodeCursor(cmd.cursor) : null;
    const rows = await this.repo.list(cmd.account_id, cmd.status, this.clock.now(), after, limit + 1);
    const page = rows.slice(0, limit);
    const tallies = await this.repo.tallies(page.map((c) => c.id));
    const data = await Promise.all(page.map((c) => this.toDto(c, tallies.get(c.id))));
    const last = page[page.length - 1];
    return { data, next_cursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
  }

  async recipients(cmd: ListCampaignRecipientsCommand): Promise<Page<CampaignRecipientDto>> {
    await this.visible(cmd);
    const limit = cmd.limit ?? DEFAULT_PAGE_LIMIT;
    const afterRow = cmd.cursor ? decodeRowCursor(cmd.cursor) : 0;
    const rows = await this.repo.recipients(cmd.campaign_id, cmd.state, afterRow, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map((r) => ({
        row: r.row_number,
        to: r.to_number ?? r.to_raw,
        variables: r.variables,
        state: r.state,
        skip_reason: r.skip_reason ?? (r.state === 'skipped' ? 'opted_out' : null),
        skip_message:
          r.skip_message ?? (r.state === 'skipped' ? 'Opted out (STOP) before this message was sent' : null),
        message_id: r.message_id,
        scheduled_for: r.scheduled_for ? new Date(r.scheduled_for).toISOString() : null,
        error_code: r.error_code,
      })),
      next_cursor: rows.length > limit && last ? encodeRowCursor(last.row_number) : null,
    };
  }

  async toDto(c: Campaign, tally?: CampaignTally): Promise<CampaignDto> {
    const t = tally ?? (await this.repo.tallies([c.id])).get(c.id)!;
    const now = this.clock.now();
    const counts = Object.fromEntries(
      CAMPAIGN_RECIPIENT_STATES.map((s) => [s, t.states[s] ?? 0]),
    ) as unknown as CampaignDto['counts'];
    const pace = await this.pace.segmentsPerSecond(c.fromNumber);
    const status = publicStatus(c, now);
    return {
      campaign_id: c.id,
      name: c.name,
      status,
      agent_id: c.agentId,
      from_number: c.fromNumber,
      message: c.message,
      respect_quiet_hours: c.respectQuietHours,
      send_at: iso(c.sendAt),
      starts_at: c.startsAt.toISOString(),
      expires_at: iso(c.expiresAt),
      recipients_total: c.recipientsTotal,
      counts,
      skipped_by_reason: t.skippedByReason,
      over_600: c.over600,
      segments_total: c.segmentsTotal,
      estimated_cost: c.estimatedCost,
      pace_per_second: Number.isFinite(pace) ? pace : null,
      eta: status === 'running' || status === 'scheduled' ? eta(t, c.startsAt, now, pace) : null,
      created_at: c.createdAt.toISOString(),
      paused_at: iso(c.pausedAt),
      canceled_at: iso(c.canceledAt),
      completed_at: iso(c.completedAt),
    };
  }
}

function publicStatus(c: Campaign, now: Date): CampaignStatus {
  if (c.status === 'running' && c.startsAt.getTime() > now.getTime()) return 'scheduled';
  return c.status === 'draft' ? 'scheduled' : c.status;
}

/**
 * When the last message should reach Twilio: from the later of now and the
 * start, the remaining segments at the sender's pace; no earlier than the
 * latest release (recipients deferred by quiet hours).
 */
function eta(t: CampaignTally, startsAt: Date, now: Date, pace: number): string | null {
  if (t.remaining === 0) return null;
  const from = Math.max(now.getTime(), startsAt.getTime());
  const paced = Number.isFinite(pace) && pace > 0 ? from + (t.remainingSegments / pace) * 1000 : from;
  const last = t.lastScheduledFor ? new Date(t.lastScheduledFor).getTime() : 0;
  return new Date(Math.ceil(Math.max(paced, last) / 1000) * 1000).toISOString();
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

function encodeRowCursor(row: number): string {
  return Buffer.from(JSON.stringify({ row })).toString('base64url');
}

function decodeRowCursor(cursor: string): number {
  try {
    const { row } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { row: unknown };
    if (typeof row === 'number' && Number.isInteger(row) && row >= 0) return row;
  } catch {
    // falls through to the refusal
  }
  throw new AppError('invalid_cursor', '`cursor` is not one this API returned');
}
