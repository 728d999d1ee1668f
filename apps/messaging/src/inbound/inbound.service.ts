import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  AppError,
  CustomerEvents,
  Outbox,
  ResolvedNumber,
  SmsInboundReceivedEvent,
  config,
  newId,
  toE164,
} from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import { countSegments } from '@nixflex/common/sms';
import OpenAI from 'openai';
import { OptOutsRepository } from '../opt-outs/opt-outs.repository';
import { DataSource, EntityManager } from 'typeorm';
import { SmsSendService } from '../sms/accept/send.service';
import { statusRank } from '../sms/status/status-rules';
import { clampReply, parseKeyword } from './keywords';

const HISTORY_LIMIT = 20;
/** A reply claim older than this with no outcome is taken over by a redelivery. */
const CLAIM_LEASE_SECONDS = 120;

type Outcome = { kind: 'agent' } | { kind: 'help' } | { kind: 'none' };

/**
 * Handles one verified inbound SMS: claims its MessageSid atomically (the
 * unique twilio_sid), stores it as a received message of the conversation,
 * applies STOP/START/YES/HELP, and otherwise asks the agent's LLM for a reply
 * (outside any transaction) which goes out through the normal send path.
 */
@Injectable()
export class InboundService implements OnModuleInit {
  private readonly logger = new Logger('InboundSms');
  private llm?: OpenAI;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly numbers: NumberResolver,
    private readonly sender: SmsSendService,
    private readonly outbox: Outbox,
    private readonly optOuts: OptOutsRepository,
  ) {}

  onModuleInit(): void {
    const c = config().llm;
    if (!c.baseUrl) {
      this.logger.warn(
        'LLM_BASE_URL is not set: inbound SMS are stored but not answered (llm_not_configured)',
      );
      return;
    }
    this.llm = new OpenAI({
      baseURL: c.baseUrl,
      apiKey: c.apiKey ?? 'unset',
      timeout: c.timeoutMs,
      maxRetries: c.maxRetries,
    });
  }

  async handle(ev: SmsInboundReceivedEvent): Promise<void> {
    const to = toE164(ev.to);
    const from = toE164(ev.from) ?? ev.from;
    if (!to) throw new AppError('validation_failed', `bad To ${ev.to}`);
    const number = await this.numbers.resolve(to);
    const { inboundId, outcome } = await this.store(ev, number, from);
    this.outbox.kick();
    if (!inboundId) return;
    if (outcome.kind === 'none') return;
    await this.reply(inboundId, number, from, ev.body, outcome);
  }

  /** One transaction: the claim of the SID, the message row, the opt-out change. */
  private async store(
    ev: SmsInboundReceivedEvent,
    number: ResolvedNumber,
    from: string,
  ): Promise<{ inboundId: string | null; outcome: Outcome }> {
    return this.ds.transaction(async (m) => {
      const result = await this.storeIn(m, ev, number, from);
      if (result.fresh && result.inboundId && result.outcome.kind !== 'none') {
        // The reply to be sent, registered with the message: a redelivery after a crash finds it.
        await m.query(
          `INSERT INTO "messaging"."inbound_replies" ("inbound_id", "reply_message_id", "state", "claimed_at", "attempts")
           VALUES ($1, $2, 'pending', '-infinity', 0)`,
          [result.inboundId, newId('msg')],
        );
      }
      return result;
    });
  }

  private async storeIn(
    m: EntityManager,
    ev: SmsInboundReceivedEvent,
    number: ResolvedNumber,
    from: string,
  ): Promise<{ inboundId: string | null; outcome: Outcome; fresh?: boolean }> {
    const info = countSegments(ev.body);
    const id = newId('msg');
    const at = new Date(ev.received_at);
    const when = Number.isNaN(at.getTime()) ? new Date() : at;
    const inserted: Array<{ id: string }> = await m.query(
      `INSERT INTO "messaging"."messages"
           ("id", "account_id", "agent_id", "direction", "source", "from_number", "to_number", "our_number",
            "other_party", "body", "segments", "encoding", "status", "status_rank", "status_changed_at",
            "twilio_sid", "twilio_account_sid", "created_at", "updated_at")
         VALUES ($1, $2, $3, 'inbound', 'twilio_inbound', $4, $5, $5, $4, $6, $7, $8, 'received', $9, $10,
                 $11, $12, $10, $10)
         ON CONFLICT ("twilio_sid") WHERE "twilio_sid" IS NOT NULL DO NOTHING
         RETURNING "id"`,
      [
        id,
        number.account_id,
        number.agent_id,
        from,
        number.phone_number,
        ev.body,
        info.segments,
        info.encoding,
        statusRank('received'),
        when,
        ev.message_sid,
        ev.account_sid,
      ],
    );
    let inboundId = inserted[0]?.id ?? null;
    if (!inboundId) {
      // A duplicate: the first delivery stored it. Carry on only if its reply
      // is still to be done (the reply claim decides who sends).
      const rows: Array<{ id: string }> = await m.query(
        `SELECT "id" FROM "messaging"."messages" WHERE "twilio_sid" = $1 AND "direction" = 'inbound'`,
        [ev.message_sid],
      );
      inboundId = rows[0]?.id ?? null;
      if (!inboundId) return { inboundId: null, outcome: { kind: 'none' } };
      // Carry on only if the first delivery decided on a reply that is still pending.
      const pending: unknown[] = await m.query(
        `SELECT 1 FROM "messaging"."inbound_replies" WHERE "inbound_id" = $1 AND "state" = 'pending'`,
        [inboundId],
      );
      if (pending.length === 0) return { inboundId: null, outcome: { kind: 'none' } };
      return {
        inboundId,
        outcome: parseKeyword(ev.body)?.kind === 'help' ? { kind: 'help' } : { kind: 'agent' },
      };
    }
    await this.emit(m, number, inboundId, 'sms.received', when, {
      message_id: inboundId,
      twilio_sid: ev.message_sid,
      from,
      to: number.phone_number,
      body: ev.body,
      received_at: when.toISOString(),
    });
    const kw = parseKeyword(ev.body);
    if (!kw) return { inboundId, fresh: true, outcome: { kind: 'agent' } };
    if (kw.kind === 'help') return { inboundId, fresh: true, outcome: { kind: 'help' } };
    if (kw.kind === 'opt_out') {
      await this.optOuts.record(m, {
        ourNumber: number.phone_number,
        recipient: from,
        accountId: number.account_id,
        optedOutAt: when,
        source: 'keyword',
        keyword: kw.word,
      });
      await this.emit(m, number, inboundId, 'sms.opted_out', when, {
        phone_number: number.phone_number,
        recipient: from,
        source: 'keyword',
        keyword: kw.word,
        message_id: inboundId,
      });
      return { inboundId, fresh: true, outcome: { kind: 'none' } };
    }
    const removed = await this.optOuts.remove(m, number.phone_number, from);
    if (removed) {
      await this.emit(m, number, inboundId, 'sms.opted_in', when, {
        phone_number: number.phone_number,
        recipient: from,
        keyword: kw.word,
        message_id: inboundId,
      });
    }
    if (kw.kind === 'opt_in') return { inboundId, fresh: true, outcome: { kind: 'none' } };
    // YES: an opt-in only when the sender was opted out; otherwise a message for the agent.
    return { inboundId, fresh: true, outcome: removed ? { kind: 'none' } : { kind: 'agent' } };
  }

  private async reply(
    inboundId: string,
    number: ResolvedNumber,
    from: string,
    body: string,
    outcome: Outcome,
  ): Promise<void> {
    const replyId = await this.claimReply(inboundId);
    if (!replyId) return;
    let text: string;
    if (outcome.kind === 'help') {
      text = helpText(number);
    } else {
      if (!this.llm) return this.finish(inboundId, 'skipped', 'llm_not_configured', 'No LLM is configured');
      try {
        text = await this.generate(inboundId, number, from, body);
      } catch (err) {
        const reason = describe(err);
        this.logger.warn(`LLM reply for ${inboundId} failed: ${reason}`);
        return this.finish(inboundId, 'failed', 'llm_failed', reason);
      }
      if (!text) return this.finish(inboundId, 'failed', 'llm_failed', 'The LLM returned an empty reply');
    }
    try {
      await this.sender.send({
        account_id: number.account_id,
        agent_id: number.agent_id,
        from_number: number.phone_number,
        to: from,
        message: text,
        message_id: replyId,
        in_reply_to: inboundId,
        source: 'agent_reply',
      });
    } catch (err) {
      if (isUniqueViolation(err))
        return this.finish(inboundId, 'sent', null, null, number, replyId, text, from); // sent earlier
      if (err instanceof AppError) return this.finish(inboundId, 'failed', err.code, err.message);
      throw err;
    }
    await this.finish(inboundId, 'sent', null, null, number, replyId, text, from);
  }

  /** Atomic claim of the reply; the reply's id is fixed at the first claim, so a retry cannot send twice. */
  private async claimReply(inboundId: string): Promise<string | null> {
    // A CTE so the driver answers rows (a bare UPDATE ... RETURNING answers [rows, count]).
    const rows: Array<{ reply_message_id: string }> = await this.ds.query(
      `WITH c AS (
         UPDATE "messaging"."inbound_replies" SET "claimed_at" = now(), "attempts" = "attempts" + 1
          WHERE "inbound_id" = $1 AND "state" = 'pending' AND "claimed_at" < now() - make_interval(secs => $2)
         RETURNING "reply_message_id")
       SELECT "reply_message_id" FROM c`,
      [inboundId, CLAIM_LEASE_SECONDS],
    );
    return rows[0]?.reply_message_id ?? null;
  }

  /** Records the outcome; a failure or skip is shown on the inbound message (error_code/error_message). */
  private async finish(
    inboundId: string,
    state: 'sent' | 'failed' | 'skipped',
    code: string | null,
    reason: string | null,
    number?: ResolvedNumber,
    replyId?: string,
    text?: string,
    to?: string,
  ): Promise<void> {
    await this.ds.transaction(async (m) => {
      if (state === 'sent' && number && replyId && text !== undefined) {
        await this.emit(m, number, replyId, 'sms.replied', new Date(), {
          message_id: replyId,
          in_reply_to: inboundId,
          from: number.phone_number,
          to,
          body: text,
        });
      }
      await m.query(
        `UPDATE "messaging"."inbound_replies" SET "state" = $2, "reason" = $3 WHERE "inbound_id" = $1`,
        [inboundId, state, reason],
      );
      if (code) {
        await m.query(
          `UPDATE "messaging"."messages" SET "error_code" = $2, "error_message" = $3, "updated_at" = now() WHERE "id" = $1`,
          [inboundId, code, reason?.slice(0, 500) ?? null],
        );
      }
    });
    this.outbox.kick();
  }

  /** A customer event, in the transaction of the change; its id derives from the change so a retry is deduplicated. */
  private async emit(
    m: EntityManager,
    number: ResolvedNumber,
    ref: string,
    type: 'sms.received' | 'sms.replied' | 'sms.opted_out' | 'sms.opted_in',
    at: Date,
    data: Record<string, unknown>,
  ): Promise<void> {
    await this.outbox.add(m, CustomerEvents.emit, {
      event_id: `evt_${type.slice(4)}_${ref}`,
      account_id: number.account_id,
      phone_number: number.phone_number,
      agent_id: number.agent_id,
      type,
      occurred_at: at.toISOString(),
      data,
    });
  }

  private async generate(
    inboundId: string,
    number: ResolvedNumber,
    from: string,
    body: string,
  ): Promise<string> {
    const history: Array<{ direction: string; body: string }> = await this.ds.query(
      `SELECT "direction", "body" FROM (
         SELECT "direction", "body", "created_at", "id" FROM "messaging"."messages"
          WHERE "account_id" = $1 AND "our_number" = $2 AND "other_party" = $3 AND "id" <> $4
            AND ("direction" = 'inbound' OR "status" NOT IN ('failed', 'undelivered', 'canceled'))
          ORDER BY "created_at" DESC, "id" DESC LIMIT $5) h
       ORDER BY "created_at", "id"`,
      [number.account_id, number.phone_number, from, inboundId, HISTORY_LIMIT],
    );
    const completion = await this.llm!.chat.completions.create({
      model: number.llm_model ?? config().llm.model ?? 'gpt-4o-mini',
      messages: [
        { role: 'system', content: number.system_prompt },
        ...history.map((h) => ({
          role: h.direction === 'inbound' ? ('user' as const) : ('assistant' as const),
          content: h.body,
        })),
        { role: 'user', content: body },
      ],
    });
    return clampReply(completion.choices[0]?.message?.content ?? '');
  }
}

function helpText(n: ResolvedNumber): string {
  const profile = n.custom_prompt?.trim().replace(/\s+/g, ' ');
  const about = profile ? ` ${profile.slice(0, 300)}` : '';
  return clampReply(`${n.agent_name}:${about} Reply STOP to unsubscribe, START to resubscribe.`);
}

function describe(err: unknown): string {
  if (err instanceof OpenAI.APIError)
    return `LLM error ${err.status ?? 'connection'}: ${err.message}`.slice(0, 500);
  return (err instanceof Error ? err.message : String(err)).slice(0, 500);
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } } | null;
  return typeof e === 'object' && e !== null && (e.code === '23505' || e.driverError?.code === '23505');
}
