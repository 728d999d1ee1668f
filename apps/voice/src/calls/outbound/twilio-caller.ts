import { Inject, Injectable } from '@nestjs/common';
import { ResolvedNumber } from '@nixflex/common';
import { NumberResolver } from '@nixflex/common/numbers';
import {
  TwilioPath,
  TwilioPaths,
  TwilioWriteFailure,
  twilioWebhookUrl,
  twilioWriteFailureOf,
} from '@nixflex/common/twilio';
import type { CallInstance } from 'twilio/lib/rest/api/v2010/account/call';
import { DIAL_SETTINGS, DialSettings } from './dial.settings';

/** A call Twilio holds: created by us now, or found when reconciling. */
export interface PlacedCall {
  sid: string;
  status: string;
  accountSid: string;
}

/** The call-progress events we ask Twilio to report (StatusCallbackEvent). */
export const DIAL_STATUS_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];

/** Twilio's refusals worth naming on the call record (else Twilio's own message is kept). */
const NAMED_REFUSALS: Record<string, string> = {
  '21215': 'Geo permission disabled for this country',
  '21211': "Invalid 'To' number",
  '20003': 'Twilio credentials rejected',
  '21210': "'From' is not a number of this Twilio account",
  '13227': 'No international permission',
};

/**
 * How a failed Twilio request ends for the dialler (refused: the call fails;
 * retry: certainly not placed; uncertain: ask Twilio before any redial), with
 * refusals named and an auth failure without Twilio's code read as 20003.
 */
export type DialFailure = TwilioWriteFailure;

export function dialFailureOf(err: unknown): DialFailure {
  return twilioWriteFailureOf(err, (f) => {
    const code = String(f.twilioCode ?? (f.kind === 'auth_failed' ? 20003 : f.status));
    return { code, message: NAMED_REFUSALS[code] ?? f.message };
  });
}

/** The query string every Twilio URL of a call carries: our id, so a callback finds its call without a SID. */
function withCallId(path: TwilioPath, callId: string): string {
  return `${twilioWebhookUrl(path)}?call_id=${encodeURIComponent(callId)}`;
}

/** The dialler's Twilio requests, each with the number's own credentials. */
@Injectable()
export class TwilioCaller {
  constructor(
    private readonly numbers: NumberResolver,
    @Inject(DIAL_SETTINGS) private readonly settings: DialSettings,
  ) {}

  /**
   * Places the call: Twilio fetches `Url` (our TwiML: the ConversationRelay
   * session) when the callee answers, and reports progress to StatusCallback;
   * both carry our call id.
   */
  async create(number: ResolvedNumber, callId: string, to: string): Promise<PlacedCall> {
    const client = this.numbers.twilioClient(number, { timeoutMs: this.settings.twilioTimeoutMs });
    const call = await client.calls.create({
      to,
      from: number.phone_number,
      url: withCallId(TwilioPaths.voiceOutbound, callId),
      method: 'POST',
      statusCallback: withCallId(TwilioPaths.voiceStatus, callId),
      statusCallbackEvent: DIAL_STATUS_EVENTS,
      statusCallbackMethod: 'POST',
    });
    return { sid: call.sid, status: call.status, accountSid: call.accountSid };
  }

  /**
   * Calls Twilio holds from our number to `to` created since `since`, oldest
   * first: what a lost create may have produced. Twilio filters calls by
   * StartTime, which a call still queued does not have yet, so queued calls
   * are asked for separately; both lists are bounded by the short window.
   */
  async findPlaced(number: ResolvedNumber, to: string, since: Date): Promise<PlacedCall[]> {
    const client = this.numbers.twilioClient(number, { timeoutMs: this.settings.twilioTimeoutMs });
    const from = number.phone_number;
    const [started, queued] = await Promise.all([
      client.calls.list({ to, from, startTimeAfter: since, pageSize: 1000, limit: 1000 }),
      client.calls.list({ to, from, status: 'queued', pageSize: 1000, limit: 1000 }),
    ]);
    const bySid = new Map<string, CallInstance>();
    for (const c of [...started, ...queued]) {
      const created = c.dateCreated ?? c.startTime;
      if (created && created.getTime() < since.getTime()) continue;
      if (!(c.direction ?? '').startsWith('outbound')) continue;
      bySid.set(c.sid, c);
    }
    return [...bySid.values()]
      .sort((a, b) => (a.dateCreated?.getTime() ?? 0) - (b.dateCreated?.getTime() ?? 0))
      .map((c) => ({ sid: c.sid, status: c.status, accountSid: c.accountSid }));
  }
}
