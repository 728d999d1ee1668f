import { Injectable } from '@nestjs/common';
import {
  AppError,
  Clock,
  MessagingEvents,
  Outbox,
  SendCallSmsCommand,
  SendSmsCommand,
  SmsAcceptedDto,
  countSmsStatus,
  newId,
  toE164,
} from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import { SMS_MAX_LENGTH, countSegments, estimateCost, lengthWarnings } from '@nixflex/common/sms';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AccountPolicy } from '../../destinations/account-policy';
import { DestinationPolicy } from '../../destinations/destination-policy';
import { IdempotencyKeysRepository, MessagesRepository } from '../data';
import { statusRank } from '../status/status-rules';
import { SendTiming, expiresAtFor, scheduleFor } from '../schedule/send-timing';

/** How long an Idempotency-Key is remembered, as Stripe does. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/** Where a call's SMS keys live among the API's Idempotency-Keys (which are customers' free text). */
const CALL_SMS_KEY_PREFIX = 'sms.call-send.v1:';

/**
 * What any sender of an SMS gives: the public API, and the agent replies of
 * the inbound-SMS work, which call `SmsSendService.send` with `in_reply_to`
 * and `source: 'agent_reply'` and so share every check and the same sender.
 */
export interface OutboundSms {
  account_id: string;
  agent_id: string;
  from_number: string;
  to: string;
  message: string;
  api_key_id?: string | null;
  message_id?: string;
  in_reply_to?: string | null;
  source?: 'api' | 'agent_reply' | 'post_call' | 'in_call';
  /** For `in_call` / `post_call`: the call that asked for it. */
  call_id?: string | null;
  /**
   * When it may go: `send_at` and quiet hours (see `scheduleFor`; quiet hours
   * not said: the account's default), and `expires_at`; absent is now.
   */
  timing?: Omit<SendTiming, 'respectQuietHours'> & { respectQuietHours?: boolean };
}

/**
 * Accepts outbound SMS: validates, resolves the sending number, and in ONE
 * transaction writes the message (queued), its first history row, the
 * `sms.dispatch.v1` event and the idempotency record. From that commit on
 * the message will reach Twilio exactly once (see SmsDispatcher).
 */
@Injectable()
export class SmsSendService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly idempotencyKeys: IdempotencyKeysRepository,
    private readonly clock: Clock,
    private readonly outbox: Outbox,
    private readonly numbers: NumberResolver,
    private readonly destinations: DestinationPolicy,
    private readonly accountPolicy: AccountPolicy,
  ) {}

  /** `POST /v1/sms`, with Stripe's Idempotency-Key semantics. */
  accept(cmd: SendSmsCommand): Promise<SmsAcceptedDto> {
    const sms: OutboundSms = {
      account_id: cmd.account_id,
      agent_id: cmd.agent_id,
      from_number: cmd.from_number,
      to: cmd.to,
      message: cmd.message,
      api_key_id: cmd.api_key_id ?? null,
      message_id: cmd.message_id,
      source: 'api',
      timing: {
        sendAt: cmd.send_at,
        respectQuietHours: cmd.respect_quiet_hours,
        expiresAt: cmd.expires_at,
      },
    };
    const key = cmd.idempotency_key;
    if (!key) return this.send(sms);
    // The timing fields join the hash only when given, so keys stored before they existed still match.
    const fields = [cmd.agent_id, cmd.to, cmd.from_number, cmd.message];
    if (cmd.send_at !== undefined || cmd.respect_quiet_hours !== undefined) {
      fields.push(cmd.send_at ?? '', String(cmd.respect_quiet_hours === true));
    }
    if (cmd.expires_at !== undefined) fields.push('expires_at', cmd.expires_at);
    return this.sendIdempotent(sms, key, hashRequest(fields));
  }

  /**
   * `sms.call-send.v1`: an SMS a call asked for, through the same checks and
   * store as the API, linked to the call. Its key lives in the API's key
   * table under its own prefix, so a customer's Idempotency-Key can never
   * answer for a call's SMS (or the other way round).
   */
  acceptCall(cmd: SendCallSmsCommand): Promise<SmsAcceptedDto> {
    const sms: OutboundSms = {
      account_id: cmd.account_id,
      agent_id: cmd.agent_id,
      from_number: cmd.from_number,
      to: cmd.to,
      message: cmd.message,
      source: cmd.source,
      call_id: cmd.call_id,
    };
    return this.sendIdempotent(
      sms,
      `${CALL_SMS_KEY_PREFIX}${cmd.idempotency_key}`,
      hashRequest([cmd.agent_id, cmd.to, cmd.from_number, cmd.message, cmd.call_id, cmd.source]),
    );
  }

  /**
   * Stores `sms` once per (account, key): a repeat within the key's lifetime
   * answers what the first did, byte for byte; the same key with another
   * request (`requestHash`) is `idempotency_key_reused`.
   */
  private async sendIdempotent(sms: OutboundSms, key: string, requestHash: string): Promise<SmsAcceptedDto> {
    // Checked before the transaction (no connection held across the number
    // lookup); a refusal is raised only if this is not a replay, so a replay
    // answers as the first request did even if the number moved since.
    const checked = await this.checkAndTime(sms).then(
      (ok) => ({ ok }),
      (error: unknown) => ({ error }),
    );
    const dto = await this.idempotencyKeys.transaction(async (m) => {
      if (!(await this.idempotencyKeys.tryLock(m, sms.account_id, key))) {
        throw new AppError(
          'idempotency_key_in_use',
          'A request with this Idempotency-Key is still being processed; retry after it completes',
        );
      }
      const existing = await this.idempotencyKeys.find(m, sms.account_id, key);
      if (existing && Date.now() - existing.createdAt.getTime() < IDEMPOTENCY_TTL_MS) {
        if (existing.requestHash !== requestHash) {
          throw new AppError(
            'idempotency_key_reused',
            'This Idempotency-Key was already used with a different request body',
          );
        }
        return existing.response as SmsAcceptedDto;
      }
      if (existing) await this.idempotencyKeys.delete(m, sms.account_id, key);
      if ('error' in checked) throw checked.error;
      const accepted = await this.store(sms, checked.ok, m);
      await this.idempotencyKeys.save(m, {
        accountId: sms.account_id,
        key,
        requestHash,
        messageId: accepted.message_id,
        response: accepted,
      });
      return accepted;
    });
    this.outbox.kick();
    return dto;
  }

  /** Validates and stores one outbound SMS (no idempotency key). */
  async send(sms: OutboundSms): Promise<SmsAcceptedDto> {
    const checked = await this.checkAndTime(sms);
    const dto = await this.store(sms, checked);
    this.outbox.kick();
    return dto;
  }

  /**
   * `check`, then when the message may go (`invalid_send_at`, the account's
   * quiet hours, and its default when the request does not say) and until
   * when (`invalid_expires_at`).
   */
  private async checkAndTime(sms: OutboundSms): Promise<Checked & Timed> {
    const checked = await this.check(sms);
    const timing = sms.timing;
    if (!timing) return { ...checked, scheduledFor: null, expiresAt: null };
    const now = this.clock.now();
    const policy =
      timing.respectQuietHours === false ? null : await this.accountPolicy.quietHoursFor(sms.account_id);
    const respectQuietHours = timing.respectQuietHours ?? policy?.respectDefault ?? false;
    const scheduledFor = scheduleFor({ ...timing, respectQuietHours }, checked.to, now, policy?.window);
    return { ...checked, scheduledFor, expiresAt: expiresAtFor({ ...timing, respectQuietHours }, now) };
  }

  /** Everything that needs no transaction: formats, length, and the sending number. */
  private async check(sms: OutboundSms): Promise<Checked> {
    const to = toE164(sms.to);
    if (!to)
      throw new AppError(
        'invalid_phone_format',
        '`to` must be a phone number in E.164 format, e.g. +447386172392',
      );
    const from = toE164(sms.from_number);
    if (!from) {
      throw new AppError(
        'invalid_phone_format',
        '`from_number` must be a phone number in E.164 format, e.g. +447446466847',
      );
    }
    if (sms.message.trim().length === 0) throw new AppError('message_empty', '`message` must not be empty');
    if (sms.message.length > SMS_MAX_LENGTH) {
      throw new AppError(
        'message_too_long',
        `\`message\` is ${sms.message.length} characters; Twilio's limit is ${SMS_MAX_LENGTH} (600 recommended)`,
        { length: sms.message.length, max: SMS_MAX_LENGTH },
      );
    }
    await this.numbers.sendingNumber(
      sms.account_id,
      from,
      sms.agent_id,
      "replies go to the number's agent, so send with that agent_id",
    );
    // An agent replying to someone who texted us answers them wherever they are.
    if (sms.source !== 'agent_reply') await this.destinations.assertAllowed(sms.account_id, to);
    return { to, from };
  }

  /**
   * Stores the message in one statement, in `m`'s transaction when given:
   * `queued` with its dispatch event, or `scheduled` for `scheduledFor`
   * without one (the release poller queues it then); with its `expiresAt`.
   */
  private async store(
    sms: OutboundSms,
    { to, from, scheduledFor, expiresAt }: Checked & Timed,
    m?: EntityManager,
  ): Promise<SmsAcceptedDto> {
    const info = countSegments(sms.message);
    const cost = estimateCost(to, info.segments);
    const warnings = lengthWarnings(sms.message, info);
    const id = sms.message_id ?? newId('msg');
    const now = new Date();
    const row = {
      id,
      accountId: sms.account_id,
      apiKeyId: sms.api_key_id ?? null,
      agentId: sms.agent_id,
      source: sms.source ?? 'api',
      from,
      to,
      body: sms.message,
      segments: info.segments,
      encoding: info.encoding,
      estimatedCost: cost,
      inReplyTo: sms.in_reply_to ?? null,
      callId: sms.call_id ?? null,
      expiresAt,
      statusRank: statusRank(scheduledFor ? 'scheduled' : 'queued'),
      at: now,
    };
    const stored = scheduledFor
      ? await this.messages.insertScheduledOutbound({ ...row, scheduledFor }, m)
      : await this.messages.insertQueuedOutbound(
          row,
          this.outbox.row(MessagingEvents.smsDispatch, { message_id: id }),
          m,
        );
    // The recipient sent STOP (or Twilio answered 21610) to this number: nothing more goes out to them.
    if (!stored) {
      throw new AppError(
        'recipient_opted_out',
        `${to} opted out of messages from ${from} (they can reply START)`,
      );
    }
    countSmsStatus(scheduledFor ? 'scheduled' : 'queued', null);
    return {
      message_id: id,
      status: scheduledFor ? 'scheduled' : 'queued',
      ...(scheduledFor ? { scheduled_for: scheduledFor.toISOString() } : {}),
      ...(expiresAt ? { expires_at: expiresAt.toISOString() } : {}),
      agent_id: sms.agent_id,
      to,
      from_number: from,
      segments: info.segments,
      encoding: info.encoding,
      estimated_cost: cost,
      ...(warnings.length > 0 ? { warnings } : {}),
      created_at: now.toISOString(),
    };
  }
}

interface Checked {
  to: string;
  from: string;
}

/** When it goes (null: now) and until when it may (null: no limit). */
interface Timed {
  scheduledFor: Date | null;
  expiresAt: Date | null;
}

/** What tells two requests under one key apart: the fields of the request, in a fixed order. */
function hashRequest(fields: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}
