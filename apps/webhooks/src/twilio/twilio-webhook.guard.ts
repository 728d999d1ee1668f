import {
  CanActivate,
  ExecutionContext,
  Header,
  HttpCode,
  Injectable,
  Logger,
  Post,
  SetMetadata,
  UseGuards,
  applyDecorators,
  createParamDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError, ResolvedNumber } from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import { TwilioPath, twilioWebhookUrl } from '@nixflex/common/twilio';
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';

/** What Twilio receives on success when there is nothing to say: an empty TwiML document. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

/** Twilio form parameters (the guard makes them an object even for an empty body). */
export type TwilioParams = Record<string, string>;

export interface TwilioRoute {
  /** The route, one of TwilioPaths; also the path signatures are computed over. */
  path: TwilioPath;
  /**
   * Where the number we hold is: `To` for inbound SMS and calls, `From` for
   * the status callbacks of what we sent, `Direction` for call callbacks that
   * come for calls of either direction (`inbound` → `To`,
   * `outbound-api`/`outbound-dial` → `From`).
   */
  numberParam: 'To' | 'From' | 'Direction';
}

/**
 * The form parameter holding our number on this request. `Direction` mode:
 * `To` for an inbound call, `From` for one we placed; null for a Direction
 * Twilio does not send, which the guard refuses like an unknown number.
 */
export function ourNumberParam(route: TwilioRoute, params: TwilioParams): 'To' | 'From' | null {
  if (route.numberParam !== 'Direction') return route.numberParam;
  const direction = params.Direction;
  if (direction === 'inbound') return 'To';
  if (direction === 'outbound-api' || direction === 'outbound-dial') return 'From';
  return null;
}

const TWILIO_ROUTE = 'nixflex:twilio-route';
const VERIFIED = Symbol('nixflex:verified-twilio-number');

interface TwilioRequest {
  body?: unknown;
  /** Path and query string, as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  [VERIFIED]?: ResolvedNumber;
}

/**
 * A Twilio webhook route: POST on `route.path`, guarded by
 * TwilioWebhookGuard, answering 200 with TwiML (`text/xml`).
 */
export function TwilioWebhook(route: TwilioRoute): MethodDecorator {
  return applyDecorators(
    Post(route.path),
    SetMetadata(TWILIO_ROUTE, route),
    UseGuards(TwilioWebhookGuard),
    HttpCode(200),
    Header('content-type', 'text/xml; charset=utf-8'),
  );
}

/** The number the guard verified the request for (only on routes of TwilioWebhook). */
export const VerifiedNumber = createParamDecorator((_: unknown, ctx: ExecutionContext): ResolvedNumber => {
  const number = ctx.switchToHttp().getRequest<TwilioRequest>()[VERIFIED];
  if (!number) throw new Error('VerifiedNumber used on a route without TwilioWebhookGuard');
  return number;
});

/** The form parameters of the request, `{}` when there are none. */
export const TwilioForm = createParamDecorator((_: unknown, ctx: ExecutionContext): TwilioParams =>
  formOf(ctx.switchToHttp().getRequest<TwilioRequest>()),
);

function formOf(req: TwilioRequest): TwilioParams {
  const body = req.body;
  return body && typeof body === 'object' ? (body as TwilioParams) : {};
}

/**
 * Lets a request through only when it certainly comes from Twilio for a
 * number we hold, on behalf of that number's Twilio account:
 *
 * 1. `X-Twilio-Signature` is present;
 * 2. the route's number parameter (`To` or `From`) is an imported number;
 * 3. the request's `AccountSid`, when given, is that number's Twilio account;
 * 4. the request's path is the route's path, and the signature is valid for
 *    that number's auth token over the public URL (PUBLIC_WEBHOOK_BASE_URL +
 *    path + query string: Twilio signs the full URL, and the URLs we give
 *    Twilio for outbound calls carry `?call_id=`) and the form parameters.
 *
 * Every failure is the same `403 invalid_signature` with the same body, so a
 * caller cannot tell an imported number from an unknown one (an unknown
 * number was a 404 once, which let anyone enumerate imported numbers). The
 * reason is logged only. An unknown number still costs one signature check,
 * so it is not answered measurably faster than a known one with a bad
 * signature. A resolver that is down is not a refusal: that error goes out
 * as it is (503/504) and Twilio retries.
 */
@Injectable()
export class TwilioWebhookGuard implements CanActivate {
  private readonly logger = new Logger('TwilioWebhookGuard');
  /** Checked against when the number is unknown: same work, certainly no match. */
  private readonly decoyToken = randomBytes(16).toString('hex');

  constructor(
    private readonly reflector: Reflector,
    private readonly numbers: NumberResolver,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const route = this.reflector.get<TwilioRoute | undefined>(TWILIO_ROUTE, ctx.getHandler());
    if (!route) throw new Error('TwilioWebhookGuard used on a route without TwilioWebhook(...)');
    const req = ctx.switchToHttp().getRequest<TwilioRequest>();
    const params = formOf(req);
    const header = req.headers['x-twilio-signature'];
    const signature = typeof header === 'string' ? header : undefined;
    const numberParam = ourNumberParam(route, params);
    const refuse = (why: string): never => {
      const sid = params.MessageSid ?? params.CallSid ?? '?';
      const phone = (numberParam && params[numberParam]) ?? '?';
      this.logger.warn(`refused ${route.path} ${sid} for ${phone}: ${why}`);
      throw new AppError('invalid_signature', 'X-Twilio-Signature is missing or invalid');
    };

    if (!signature) return refuse('no signature');
    const query = req.url.indexOf('?');
    const path = query < 0 ? req.url : req.url.slice(0, query);
    const url = twilioWebhookUrl(route.path) + (query < 0 ? '' : req.url.slice(query));
    const phone = numberParam ? params[numberParam] : undefined;
    const number = phone && path === route.path ? await this.resolve(phone) : null;
    if (!number) {
      twilio.validateRequest(this.decoyToken, signature, url, params);
      if (path !== route.path) return refuse(`path ${path.slice(0, 100)} is not ${route.path}`);
      if (!numberParam) return refuse(`unknown Direction ${String(params.Direction).slice(0, 40)}`);
      return refuse(phone ? 'number not imported' : `no ${numberParam}`);
    }
    if (params.AccountSid && params.AccountSid !== number.twilio_account_sid) {
      return refuse('AccountSid is not the Twilio account of the number');
    }
    const token = this.numbers.openTwilioToken(number);
    if (!twilio.validateRequest(token, signature, url, params)) return refuse('bad signature');
    req[VERIFIED] = number;
    return true;
  }

  /** The number, or null when it is not one we hold (unknown or not even a phone number). */
  private async resolve(phone: string): Promise<ResolvedNumber | null> {
    try {
      return await this.numbers.resolve(phone);
    } catch (err) {
      if (err instanceof AppError && err.status < 500) return null;
      throw err;
    }
  }
}
