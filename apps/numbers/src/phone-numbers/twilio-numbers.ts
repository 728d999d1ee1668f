import { Injectable, Logger } from '@nestjs/common';
import { AppError, config, createTwilioClient } from '@nixflex/common';
import {
  TwilioPaths,
  classifyTwilioError,
  twilioWebhookUrl,
  type TwilioClient,
} from '@nixflex/common/twilio';
import type { WebhookSet } from './phone-number.entity';

/** A number as found in the customer's Twilio account. */
export interface TwilioNumber {
  sid: string;
  phoneNumber: string;
  webhooks: WebhookSet;
}

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
}

/** Per request; an import makes two calls and must answer well inside the gateway's RPC timeout. */
const TWILIO_TIMEOUT_MS = 5_000;

/** Where Nixflex wants Twilio to send a number's calls, messages and call status. */
export function nixflexWebhooks(baseUrl = config().publicWebhookBaseUrl): WebhookSet {
  return {
    voice_url: twilioWebhookUrl(TwilioPaths.voice, baseUrl),
    voice_method: 'POST',
    sms_url: twilioWebhookUrl(TwilioPaths.sms, baseUrl),
    sms_method: 'POST',
    status_callback: twilioWebhookUrl(TwilioPaths.voiceStatus, baseUrl),
    status_callback_method: 'POST',
  };
}

/** Twilio's answer to "stop sending this number anywhere". */
export const CLEARED_WEBHOOKS: WebhookSet = {
  voice_url: '',
  voice_method: 'POST',
  sms_url: '',
  sms_method: 'POST',
  status_callback: '',
  status_callback_method: 'POST',
};

/**
 * Maps an SDK failure to our codes (the shared classification decides what
 * the failure means; only status and Twilio code are passed on).
 */
export function mapTwilioError(err: unknown, notFound: () => AppError): AppError {
  const f = classifyTwilioError(err);
  if (f.kind === 'auth_failed') {
    return new AppError('twilio_auth_failed', 'Twilio rejected the Account SID / Auth Token');
  }
  if (f.kind === 'not_found') return notFound();
  const details = { twilio_status: f.status, twilio_code: f.twilioCode };
  if (f.status === null) {
    return new AppError(
      'twilio_unavailable',
      `Twilio could not be reached (${f.networkCode ?? 'network error'}); nothing was changed`,
      details,
    );
  }
  return new AppError('twilio_unavailable', `Twilio answered HTTP ${f.status}; nothing was changed`, details);
}

/** Every Twilio call of the numbers service, each with the number's own credentials. */
@Injectable()
export class TwilioNumbers {
  private readonly logger = new Logger('TwilioNumbers');

  private client(creds: TwilioCredentials): TwilioClient {
    return createTwilioClient(creds.accountSid, creds.authToken, config().twilioApiBaseUrl, {
      timeoutMs: TWILIO_TIMEOUT_MS,
    });
  }

  /**
   * The number in that Twilio account. Twilio's PhoneNumber filter matches
   * partial numbers, so only an exactly equal `phone_number` counts.
   */
  async find(creds: TwilioCredentials, phoneNumber: string): Promise<TwilioNumber> {
    const notFound = () =>
      new AppError(
        'twilio_number_not_found',
        `${phoneNumber} is not a number of Twilio account ${creds.accountSid}`,
      );
    let candidates: Awaited<ReturnType<TwilioClient['incomingPhoneNumbers']['list']>>;
    try {
      candidates = await this.client(creds).incomingPhoneNumbers.list({
        phoneNumber,
        pageSize: 1000,
        limit: 5000,
      });
    } catch (err) {
      throw this.failed('lookup', err, notFound);
    }
    const n = candidates.find((c) => c.phoneNumber === phoneNumber);
    if (!n) throw notFound();
    return {
      sid: n.sid,
      phoneNumber: n.phoneNumber,
      webhooks: {
        voice_url: n.voiceUrl ?? '',
        voice_method: n.voiceMethod ?? 'POST',
        sms_url: n.smsUrl ?? '',
        sms_method: n.smsMethod ?? 'POST',
        status_callback: n.statusCallback ?? '',
        status_callback_method: n.statusCallbackMethod ?? 'POST',
      },
    };
  }

  /** Points the number's voice URL, SMS URL and status callback (with methods) at `hooks`. */
  async setWebhooks(creds: TwilioCredentials, numberSid: string, hooks: WebhookSet): Promise<void> {
    const notFound = () =>
      new AppError(
        'twilio_number_not_found',
        `Number ${numberSid} is no longer in Twilio account ${creds.accountSid}`,
      );
    try {
      await this.client(creds).incomingPhoneNumbers(numberSid).update({
        voiceUrl: hooks.voice_url,
        voiceMethod: hooks.voice_method,
        smsUrl: hooks.sms_url,
        smsMethod: hooks.sms_method,
        statusCallback: hooks.status_callback,
        statusCallbackMethod: hooks.status_callback_method,
      });
    } catch (err) {
      throw this.failed('update', err, notFound);
    }
  }

  private failed(what: string, err: unknown, notFound: () => AppError): AppError {
    const mapped = mapTwilioError(err, notFound);
    if (mapped.code === 'twilio_unavailable') this.logger.warn(`Twilio ${what} failed: ${mapped.message}`);
    return mapped;
  }
}
