import { Inject, Injectable } from '@nestjs/common';
import { ResolvedNumber } from '@nixflex/common';
import { twilioClientFor } from '@nixflex/common/numbers';
import {
  TwilioPaths,
  TwilioWriteFailure,
  twilioWebhookUrl,
  twilioWriteFailureOf,
} from '@nixflex/common/twilio';
import type { MessageInstance } from 'twilio/lib/rest/api/v2010/account/message';
import { SMS_SETTINGS, SmsSettings } from '../sms.settings';

export interface CreatedMessage {
  sid: string;
  status: string;
  accountSid: string;
}

/** How a failed send ends for the sender (refused, retry, or uncertain: ask Twilio first). */
export type SendFailure = TwilioWriteFailure;
export const sendFailureOf = (err: unknown): SendFailure => twilioWriteFailureOf(err);

/** How a message is created at Twilio beyond its numbers and body. */
export interface CreateOptions {
  /** Twilio's `ValidityPeriod`, seconds (1..36000): not sent by Twilio after that. */
  validityPeriod?: number;
}

/** The Twilio calls of the sender, with the number's own credentials. */
@Injectable()
export class TwilioSender {
  constructor(@Inject(SMS_SETTINGS) private readonly settings: SmsSettings) {}

  statusCallbackUrl(): string {
    return twilioWebhookUrl(TwilioPaths.smsStatus);
  }

  async create(
    number: ResolvedNumber,
    to: string,
    body: string,
    options: CreateOptions = {},
  ): Promise<CreatedMessage> {
    const client = twilioClientFor(number, { timeoutMs: this.settings.twilioTimeoutMs });
    const msg = await client.messages.create({
      to,
      from: number.phone_number,
      body,
      statusCallback: this.statusCallbackUrl(),
      ...(options.validityPeriod !== undefined ? { validityPeriod: options.validityPeriod } : {}),
    });
    return { sid: msg.sid, status: msg.status, accountSid: msg.accountSid };
  }

  async fetch(
    number: ResolvedNumber,
    sid: string,
  ): Promise<{ status: string; errorCode: number | null; errorMessage: string | null }> {
    const client = twilioClientFor(number, { timeoutMs: this.settings.twilioTimeoutMs });
    const m = await client.messages(sid).fetch();
    return { status: m.status, errorCode: m.errorCode ?? null, errorMessage: m.errorMessage ?? null };
  }

  /**
   * Messages Twilio holds from `from` to `to` sent since `since` with exactly
   * this body, oldest first: the candidates a lost create may have produced.
   * Reads every page back to `since` (Twilio lists newest first and filters
   * DateSent by day only): a busy sender may have sent thousands of messages
   * to this recipient since, and a candidate missed here is a duplicate SMS.
   */
  async findSent(number: ResolvedNumber, to: string, body: string, since: Date): Promise<CreatedMessage[]> {
    const client = twilioClientFor(number, { timeoutMs: this.settings.twilioTimeoutMs });
    const found: (CreatedMessage & { at?: Date })[] = [];
    let page: { instances: MessageInstance[]; nextPage(): Promise<unknown> | undefined } | undefined =
      await client.messages.page({
        to,
        from: number.phone_number,
        dateSentAfter: since,
        pageSize: 1000,
      });
    let older = false;
    while (page && !older) {
      for (const m of page.instances) {
        if (m.dateCreated && m.dateCreated.getTime() < since.getTime()) {
          older = true;
          break;
        }
        if (m.body === body && (m.direction ?? '').startsWith('outbound')) {
          found.push({ sid: m.sid, status: m.status, accountSid: m.accountSid, at: m.dateCreated });
        }
      }
      page = older ? undefined : ((await page.nextPage()) as typeof page);
    }
    return found
      .sort((a, b) => (a.at?.getTime() ?? 0) - (b.at?.getTime() ?? 0))
      .map(({ sid, status, accountSid }) => ({ sid, status, accountSid }));
  }
}
