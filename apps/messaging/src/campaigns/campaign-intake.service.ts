import { Injectable, Logger } from '@nestjs/common';
import {
  AddCampaignRecipientsCommand,
  AppError,
  CAMPAIGN_MAX_CSV_ROWS,
  CampaignDraft,
  CampaignDto,
  CampaignRef,
  Clock,
  CreateCampaignCommand,
  placeholdersOf,
  toE164,
} from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import { createHash } from 'node:crypto';
import { DestinationPolicy } from '../destinations/destination-policy';
import { AccountPolicy } from '../destinations/account-policy';
import { COUNTRY_ZONES, QuietWindow, isAllowed, nextAllowed } from '../sms/schedule/quiet-hours';
import { IDEMPOTENCY_TTL_MS } from '../sms/accept/send.service';
import { expiresAtFor, parseSendAt } from '../sms/schedule/send-timing';
import { statusRank } from '../sms/status/status-rules';
import { Campaign, campaignNotFound as notFound } from './campaign.entities';
import { CampaignQueryService } from './campaign-query.service';
import { CampaignsRepository } from './campaigns.repository';
import { CheckedRecipient, RecipientRules, checkRecipient } from './recipient-check';

/** A placeholder name: letters, digits and underscores, not starting with a digit (CSV column names). */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Takes a campaign in: `create` checks the campaign's own fields and opens
 * a draft, `addRecipients` checks and stores each chunk of rows (a bad row
 * is skipped with its reason, never an error), `start` makes the messages.
 */
@Injectable()
export class CampaignIntakeService {
  private readonly logger = new Logger('CampaignIntake');

  constructor(
    private readonly repo: CampaignsRepository,
    private readonly numbers: NumberResolver,
    private readonly destinations: DestinationPolicy,
    private readonly policy: AccountPolicy,
    private readonly clock: Clock,
    private readonly query: CampaignQueryService,
  ) {}

  async create(cmd: CreateCampaignCommand): Promise<CampaignDraft> {
    const requestHash = hashFields(cmd);
    if (cmd.idempotency_key) {
      const existing = await this.repo.findByKey(cmd.account_id, cmd.idempotency_key);
      if (
        existing &&
        Date.now() - existing.createdAt.getTime() < IDEMPOTENCY_TTL_MS &&
        existing.status !== 'draft'
      ) {
        if (existing.requestHash !== requestHash) {
          throw new AppError(
            'idempotency_key_reused',
            'This Idempotency-Key was already used with a different campaign (name, agent, number, message or timing)',
          );
        }
        return { campaign_id: existing.id, replay: await this.query.toDto(existing) };
      }
      // A draft whose upload never finished, or a key past its lifetime: start afresh.
      if (existing) await this.repo.forgetKey(existing);
    }
    const from = toE164(cmd.from_number);
    if (!from) {
      throw new AppError(
        'invalid_phone_format',
        '`from_number` must be a phone number in E.164 format, e.g. +447446466847',
      );
    }
    if (cmd.message.trim().length === 0) throw new AppError('message_empty', '`message` must not be empty');
    const bad = placeholdersOf(cmd.message).filter((name) => !VARIABLE_NAME.test(name));
    if (bad.length > 0) {
      throw new AppError(
        'invalid_template',
        `\`message\` has placeholders that are not variable names: ${bad.map((b) => `{{${b}}}`).join(', ')}`,
        { invalid: bad },
      );
    }
    await this.numbers.sendingNumber(
      cmd.account_id,
      from,
      cmd.agent_id,
      "replies go to the number's agent, so create the campaign with that agent_id",
    );
    const now = this.clock.now();
    const sendAt = cmd.send_at === undefined ? null : parseSendAt(cmd.send_at, now);
    const expiresAt = expiresAtFor(
      { sendAt: cmd.send_at, expiresAt: cmd.expires_at, respectQuietHours: false },
      now,
    );
    const at = new Date();
    const c = Object.assign(new Campaign(), {
      id: cmd.campaign_id,
      accountId: cmd.account_id,
      apiKeyId: cmd.api_key_id ?? null,
      agentId: cmd.agent_id,
      name: cmd.name,
      fromNumber: from,
      message: cmd.message,
      status: 'draft',
      respectQuietHours: cmd.quiet_hours ?? true,
      sendAt,
      startsAt: sendAt ?? now,
      expiresAt,
      recipientsTotal: 0,
      skippedTotal: 0,
      over600: 0,
      segmentsTotal: 0,
      estimatedCost: null,
      idempotencyKey: cmd.idempotency_key ?? null,
      requestHash,
      createdAt: at,
      updatedAt: at,
      pausedAt: null,
      canceledAt: null,
      completedAt: null,
    } satisfies Campaign);
    try {
      await this.repo.insertDraft(c);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new AppError(
          'idempotency_key_in_use',
          'A campaign with this Idempotency-Key is still being created; retry after it completes',
        );
      }
      throw err;
    }
    return { campaign_id: c.id, replay: null };
  }

  async addRecipients(cmd: AddCampaignRecipientsCommand): Promise<{ stored: number }> {
    const c = await this.draft(cmd);
    const last = cmd.first_row + cmd.recipients.length - 1;
    if (last > CAMPAIGN_MAX_CSV_ROWS) {
      throw new AppError(
        'too_many_recipients',
        `A campaign takes at most ${CAMPAIGN_MAX_CSV_ROWS} recipients`,
        {
          max: CAMPAIGN_MAX_CSV_ROWS,
        },
      );
    }
    const tos = cmd.recipients.map((r) => r.to.trim());
    const rules: RecipientRules = {
      template: c.message,
      placeholders: placeholdersOf(c.message),
      respectQuietHours: c.respectQuietHours,
      destinationAllowed: await this.destinations.predicate(c.accountId),
      optedOut: await this.repo.optedOutAmong(c.fromNumber, tos),
    };
    const seen = new Set<string>();
    const checked: CheckedRecipient[] = cmd.recipients.map((r, i) => {
      const row = checkRecipient(rules, { row: cmd.first_row + i, to: r.to, variables: r.variables });
      if (row.skip === null && row.to !== null) {
        if (seen.has(row.to)) {
          return {
            ...row,
            skip: { reason: 'duplicate', message: `${row.to} is already a recipient of this campaign` },
          };
        }
        seen.add(row.to);
      }
      return row;
    });
    return { stored: await this.repo.insertRecipients(c.id, checked) };
  }

  /** The draft's messages, in one transaction; `422 campaign_no_recipients` when none can be sent. */
  async start(ref: CampaignRef): Promise<CampaignDto> {
    const c = await this.repo.findForAccount(ref.account_id, ref.campaign_id);
    if (!c) throw notFound(ref.campaign_id);
    const startsAt = c.sendAt ?? this.clock.now();
    let timing: CountryTiming = { release: {}, blocked: [] };
    if (c.respectQuietHours) {
      const { window } = await this.policy.quietHoursFor(c.accountId);
      timing = timingByCountry(await this.repo.sendableCountries(c.id), startsAt, window);
    }
    const outcome = await this.repo.start(c.accountId, c.id, startsAt, timing, statusRank('scheduled'));
    switch (outcome.kind) {
      case 'not_found':
        throw notFound(ref.campaign_id);
      case 'empty':
        throw new AppError(
          'campaign_no_recipients',
          `None of the ${outcome.recipients} recipients can be sent to: ${describeReasons(outcome.skippedByReason)}`,
          { recipients_total: outcome.recipients, skipped_by_reason: outcome.skippedByReason },
        );
      case 'started':
        this.logger.log(
          `${c.id}: started with ${outcome.campaign.recipientsTotal - outcome.campaign.skippedTotal} messages`,
        );
        return this.query.toDto(outcome.campaign);
      case 'already':
        return this.query.toDto(outcome.campaign);
    }
  }

  async discard(ref: CampaignRef): Promise<{ discarded: boolean }> {
    return { discarded: await this.repo.deleteDraft(ref.account_id, ref.campaign_id) };
  }

  private async draft(ref: CampaignRef): Promise<Campaign> {
    const c = await this.repo.findForAccount(ref.account_id, ref.campaign_id);
    if (!c || c.status !== 'draft') throw notFound(ref.campaign_id);
    return c;
  }
}

/** When each country's recipients may first be sent to; `blocked`: countries the quiet window leaves no time in. */
export interface CountryTiming {
  release: Record<string, Date>;
  blocked: string[];
}

/** From `at`: later only where `at` is inside the account's quiet `window` in the country. */
function timingByCountry(countries: string[], at: Date, window: QuietWindow): CountryTiming {
  const timing: CountryTiming = { release: {}, blocked: [] };
  for (const country of countries) {
    const zones = COUNTRY_ZONES[country];
    if (!zones || isAllowed(at, zones, window)) continue;
    const next = nextAllowed(at, zones, window);
    if (next) timing.release[country] = next;
    else timing.blocked.push(country);
  }
  return timing;
}

function describeReasons(byReason: Record<string, number>): string {
  const parts = Object.entries(byReason).map(([reason, n]) => `${n} ${reason}`);
  return parts.length > 0 ? parts.join(', ') : 'no recipients were given';
}

function hashFields(cmd: CreateCampaignCommand): string {
  const fields = [
    cmd.name,
    cmd.agent_id,
    cmd.from_number,
    cmd.message,
    cmd.send_at ?? '',
    String(cmd.quiet_hours ?? true),
    cmd.expires_at ?? '',
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}
