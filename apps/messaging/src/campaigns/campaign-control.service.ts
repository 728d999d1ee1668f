import { Injectable } from '@nestjs/common';
import { AppError, CampaignDto, CampaignRef, ErrorCode } from '@nixflex/common';
import { StoredCampaignStatus } from './campaign.entities';
import { CampaignQueryService } from './campaign-query.service';
import { CampaignsRepository } from './campaigns.repository';

/**
 * Pause, resume and cancel. Each is idempotent (pausing a paused campaign
 * answers it as it is); a move the campaign's state does not allow is `409`.
 * Pause stops the release of its messages: what the releaser already handed
 * to the sender (at most about one pacing horizon's worth) still goes.
 */
@Injectable()
export class CampaignControlService {
  constructor(
    private readonly repo: CampaignsRepository,
    private readonly query: CampaignQueryService,
  ) {}

  pause(ref: CampaignRef): Promise<CampaignDto> {
    return this.move(ref, ['running'], 'paused', 'paused_at', 'campaign_not_pausable');
  }

  resume(ref: CampaignRef): Promise<CampaignDto> {
    return this.move(ref, ['paused'], 'running', null, 'campaign_not_resumable');
  }

  async cancel(ref: CampaignRef): Promise<CampaignDto> {
    const canceled = await this.repo.cancel(ref.account_id, ref.campaign_id);
    if (canceled) return this.query.toDto(canceled);
    const c = await this.query.visible(ref);
    if (c.status === 'canceled') return this.query.toDto(c);
    throw new AppError(
      'campaign_not_cancelable',
      `Campaign ${c.id} is ${c.status}; there is nothing left to cancel`,
      {
        status: c.status,
      },
    );
  }

  private async move(
    ref: CampaignRef,
    from: StoredCampaignStatus[],
    to: StoredCampaignStatus,
    stamp: 'paused_at' | null,
    refusal: ErrorCode,
  ): Promise<CampaignDto> {
    const moved = await this.repo.transition(ref.account_id, ref.campaign_id, from, to, stamp);
    if (moved) return this.query.toDto(moved);
    const c = await this.query.visible(ref);
    if (c.status === to) return this.query.toDto(c);
    throw new AppError(
      refusal,
      `Campaign ${c.id} is ${c.status}; it cannot be ${to === 'paused' ? 'paused' : 'resumed'}`,
      {
        status: c.status,
      },
    );
  }
}
