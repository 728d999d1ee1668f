import { Injectable } from '@nestjs/common';
import {
  AppError,
  CALL_METADATA_MAX_BYTES,
  CALL_PROMPT_MAX,
  CallAcceptedDto,
  CreateCallCommand,
  FIRST_MESSAGE_MAX,
  Outbox,
  VoiceEvents,
  toE164,
} from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import { TokenBudget } from '@nixflex/common/usage';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { CallIdempotencyKeysRepository } from '../data/idempotency-keys.repository';
import { OutboundCallsRepository } from '../data/outbound-calls.repository';
import { callStatusRank } from '../status/call-status-rules';

/** How long an Idempotency-Key is remembered, as Stripe does (and as POST /v1/sms). */
export const CALL_IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/** What passed every check: the numbers in E.164 and the optional texts, normalised. */
interface Checked {
  to: string;
  from: string;
  prompt: string | null;
  firstMessage: string | null;
  metadata: Record<string, unknown> | null;
}

/**
 * Accepts outbound calls (`POST /v1/calls`): validates, checks the calling
 * number, and in ONE transaction writes the call (queued, dial pending), its
 * first history row, the `calls.dial.v1` event and the idempotency record.
 * From that commit on the call is placed with Twilio exactly once (Dialler).
 */
@Injectable()
export class CallAcceptService {
  constructor(
    private readonly calls: OutboundCallsRepository,
    private readonly idempotencyKeys: CallIdempotencyKeysRepository,
    private readonly outbox: Outbox,
    private readonly numbers: NumberResolver,
    private readonly budget: TokenBudget,
  ) {}

  /** With Stripe's Idempotency-Key semantics, exactly as `POST /v1/sms`. */
  async accept(cmd: CreateCallCommand): Promise<CallAcceptedDto> {
    const key = cmd.idempotency_key;
    // Checked before the transaction (no connection held across the number
    // lookup); a refusal is raised only if this is not a replay, so a replay
    // answers as the first request did even if the number moved since.
    const checked = await this.check(cmd).then(
      (ok) => ({ ok }),
      (error: unknown) => ({ error }),
    );
    if (!key) {
      if ('error' in checked) throw checked.error;
      const accepted = await this.calls.transaction((m) => this.store(cmd, checked.ok, m));
      this.outbox.kick();
      return accepted;
    }
    const requestHash = hashRequest(cmd);
    const dto = await this.idempotencyKeys.transaction(async (m) => {
      if (!(await this.idempotencyKeys.tryLock(m, cmd.account_id, key))) {
        throw new AppError(
          'idempotency_key_in_use',
          'A request with this Idempotency-Key is still being processed; retry after it completes',
        );
      }
      const existing = await this.idempotencyKeys.find(m, cmd.account_id, key);
      if (existing && Date.now() - existing.createdAt.getTime() < CALL_IDEMPOTENCY_TTL_MS) {
        if (existing.requestHash !== requestHash) {
          throw new AppError(
            'idempotency_key_reused',
            'This Idempotency-Key was already used with a different request body',
          );
        }
        return acceptedDto(existing.response as CallAcceptedDto);
      }
      if (existing) await this.idempotencyKeys.delete(m, cmd.account_id, key);
      if ('error' in checked) throw checked.error;
      const accepted = await this.store(cmd, checked.ok, m);
      await this.idempotencyKeys.save(m, {
        accountId: cmd.account_id,
        key,
        requestHash,
        callId: accepted.call_id,
        response: accepted,
      });
      return accepted;
    });
    this.outbox.kick();
    return dto;
  }

  /** Every check, in the documented order, each with its own code; nothing is written. */
  private async check(cmd: CreateCallCommand): Promise<Checked> {
    const to = toE164(cmd.to);
    if (!to) {
      throw new AppError(
        'invalid_phone_format',
        '`to` must be a phone number in E.164 format, e.g. +447700900123',
      );
    }
    const from = toE164(cmd.from_number);
    if (!from) {
      throw new AppError(
        'invalid_phone_format',
        '`from_number` must be a phone number in E.164 format, e.g. +447446466847',
      );
    }
    const prompt = optionalText(cmd.prompt);
    checkLength('prompt', prompt, CALL_PROMPT_MAX, 'prompt_too_long');
    const firstMessage = optionalText(cmd.first_message);
    checkLength('first_message', firstMessage, FIRST_MESSAGE_MAX, 'first_message_too_long');
    const metadata = cmd.metadata ?? null;
    if (metadata !== null) {
      const bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
      if (bytes > CALL_METADATA_MAX_BYTES) {
        throw new AppError(
          'metadata_too_large',
          `\`metadata\` is ${bytes} bytes as JSON; the maximum is ${CALL_METADATA_MAX_BYTES}`,
          { max: CALL_METADATA_MAX_BYTES, length: bytes },
        );
      }
    }
    await this.numbers.sendingNumber(
      cmd.account_id,
      from,
      cmd.agent_id,
      "a call runs with the number's agent, so use that agent_id",
    );
    // A call the agent could not talk in is not placed (one already queued ends with an apology when answered).
    const budget = await this.budget.state(cmd.account_id);
    if (budget.exhausted) {
      throw new AppError(
        'token_budget_exhausted',
        `The account's LLM token budget for ${budget.month} (${budget.budget} tokens) is used up`,
        { month: budget.month, monthly_token_budget: budget.budget, used: budget.used },
      );
    }
    return { to, from, prompt, firstMessage, metadata };
  }

  /** The call, its first history row and its dial event, in `m`'s transaction. */
  private async store(cmd: CreateCallCommand, c: Checked, m: EntityManager): Promise<CallAcceptedDto> {
    const now = new Date();
    await this.calls.insertQueued(m, {
      id: cmd.call_id,
      accountId: cmd.account_id,
      apiKeyId: cmd.api_key_id ?? null,
      agentId: cmd.agent_id,
      from: c.from,
      to: c.to,
      prompt: c.prompt,
      firstMessage: c.firstMessage,
      metadata: c.metadata,
      statusRank: callStatusRank('queued'),
      at: now,
    });
    await this.outbox.add(m, VoiceEvents.callDial, { call_id: cmd.call_id });
    return acceptedDto({
      call_id: cmd.call_id,
      status: 'queued',
      agent_id: cmd.agent_id,
      from_number: c.from,
      to: c.to,
      created_at: now.toISOString(),
    });
  }
}

/**
 * The answer in one field order: a replay comes back from jsonb, which keeps
 * keys in its own order, and must read byte for byte as the first answer.
 */
function acceptedDto(a: CallAcceptedDto): CallAcceptedDto {
  return {
    call_id: a.call_id,
    status: a.status,
    agent_id: a.agent_id,
    from_number: a.from_number,
    to: a.to,
    created_at: a.created_at,
  };
}

/** Absent, null, empty or only whitespace: none (the number's or agent's default applies). */
function optionalText(value: string | undefined | null): string | null {
  return value === undefined || value === null || value.trim() === '' ? null : value;
}

/** Counted in code points, as a number's custom_prompt is (and as Postgres counts). */
function checkLength(
  field: string,
  value: string | null,
  max: number,
  code: 'prompt_too_long' | 'first_message_too_long',
): void {
  if (value === null) return;
  const length = [...value].length;
  if (length > max) {
    throw new AppError(code, `\`${field}\` is ${length} characters; the maximum is ${max}`, { max, length });
  }
}

function hashRequest(cmd: CreateCallCommand): string {
  const canonical = JSON.stringify([
    cmd.agent_id,
    cmd.to,
    cmd.from_number,
    cmd.prompt ?? null,
    cmd.first_message ?? null,
    cmd.metadata ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
