import {
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  Logger,
  NestInterceptor,
  SetMetadata,
  UseInterceptors,
  applyDecorators,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { config } from '@nixflex/common';
import { twilioFloodDropped } from '@nixflex/common/metrics';
import { REDIS, REDIS_SETTINGS, RedisSettings, WindowLimiter } from '@nixflex/common/redis';
import type Redis from 'ioredis';
import { Observable, of } from 'rxjs';
import twilio from 'twilio';
import { EMPTY_TWIML, TwilioParams } from './twilio-webhook.guard';

/** What a flood is counted in: inbound SMS or inbound calls of one caller. */
export type FloodKind = 'sms' | 'calls';

const FLOOD = 'nixflex:twilio-flood';

/**
 * Limits an inbound Twilio webhook per caller (`From`), across replicas
 * (counters in Redis). Runs after TwilioWebhookGuard (interceptors follow
 * guards), so only requests signed by Twilio for one of our numbers count.
 */
export function FloodLimited(kind: FloodKind): MethodDecorator {
  return applyDecorators(SetMetadata(FLOOD, kind), UseInterceptors(TwilioFloodGuard));
}

/**
 * The answer to Twilio for a request over the limit: 200 with TwiML, so
 * Twilio does not retry (an error status would make it retry, then fall back
 * or log an error per message). An SMS gets the empty answer (no reply, no
 * agent turn, no LLM cost); a call is rejected as busy (not answered, not
 * billed; the caller hears a busy tone).
 */
export function floodAnswer(kind: FloodKind): string {
  if (kind === 'sms') return EMPTY_TWIML;
  const response = new twilio.twiml.VoiceResponse();
  response.reject({ reason: 'busy' });
  return response.toString();
}

/** `+447700900123` -> `+44770090****`: enough to tell callers apart in a log, not the whole number. */
export function maskPhone(phone: string): string {
  return phone.length > 6 ? `${phone.slice(0, -4)}****` : '****';
}

/**
 * Drops what a caller sends beyond RATE_LIMIT_TWILIO_SMS_PER_FROM messages
 * (RATE_LIMIT_TWILIO_CALLS_PER_FROM calls) per RATE_LIMIT_TWILIO_FROM_WINDOW_S.
 * Nothing dropped goes untraced: each one is counted in Redis
 * (`<REDIS_KEY_PREFIX>twilio-flood:refused`, a hash of sms / calls, across
 * replicas) and in `nixflex_twilio_flood_dropped_total` (this process), the first
 * of each caller's window is logged as a warning with its SID and every
 * further one at debug level; Twilio keeps the message or call in its logs.
 */
@Injectable()
export class TwilioFloodGuard implements NestInterceptor {
  private readonly logger = new Logger('TwilioFlood');
  private readonly windows: WindowLimiter;
  private readonly refusedKey: string;
  private readonly quotas: Record<FloodKind, number>;

  constructor(
    private readonly reflector: Reflector,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(REDIS_SETTINGS) redisSettings: RedisSettings,
  ) {
    const s = config().rateLimits;
    this.quotas = { sms: s.twilioSmsPerFrom, calls: s.twilioCallsPerFrom };
    this.windows = new WindowLimiter(
      redis,
      `${redisSettings.keyPrefix}rl:twilio-from`,
      s.twilioFromWindowS,
      this.logger,
    );
    this.refusedKey = `${redisSettings.keyPrefix}twilio-flood:refused`;
  }

  async intercept(ctx: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const kind = this.reflector.get<FloodKind | undefined>(FLOOD, ctx.getHandler());
    const body = ctx.switchToHttp().getRequest<{ body?: unknown }>().body;
    const params = (body && typeof body === 'object' ? body : {}) as TwilioParams;
    const from = params.From;
    if (!kind || !from) return next.handle();
    const count = await this.windows.consume(`${kind}:${from}`, this.quotas[kind]);
    if (count.allowed) return next.handle();
    const sid = params.MessageSid ?? params.CallSid ?? '?';
    const line =
      `dropped inbound ${kind === 'sms' ? 'SMS' : 'call'} ${sid} from ${maskPhone(from)} to ${params.To ?? '?'}: ` +
      `over ${count.quota} per ${count.windowS} s from one caller`;
    if (count.consumed === count.quota + 1) {
      this.logger.warn(
        `${line}; further ones from this caller for ${Math.ceil(count.resetMs / 1000)} s are counted`,
      );
    } else {
      this.logger.debug(line);
    }
    twilioFloodDropped.inc({ kind });
    await this.redis.hincrby(this.refusedKey, kind, 1).catch(() => undefined);
    return of(floodAnswer(kind));
  }
}
