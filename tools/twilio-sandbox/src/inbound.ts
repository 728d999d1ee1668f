import { API_VERSION } from './fixtures';
import { newSid } from './ids';
import { countSegments } from './segments';
import { twilioSignature } from './signing';
import type { Account, Message, PhoneNumber, SandboxState } from './state';
import { WebhookTransport, type WebhookResult } from './webhook-transport';

/**
 * Simulated inbound SMS: builds the form Twilio POSTs to a number's SmsUrl,
 * signs it with the owning account's auth token and delivers it.
 */

const CALLING_CODES: [string, string][] = [
  ['1', 'US'],
  ['7', 'RU'],
  ['27', 'ZA'],
  ['31', 'NL'],
  ['32', 'BE'],
  ['33', 'FR'],
  ['34', 'ES'],
  ['39', 'IT'],
  ['41', 'CH'],
  ['43', 'AT'],
  ['44', 'GB'],
  ['45', 'DK'],
  ['46', 'SE'],
  ['47', 'NO'],
  ['48', 'PL'],
  ['49', 'DE'],
  ['52', 'MX'],
  ['55', 'BR'],
  ['61', 'AU'],
  ['64', 'NZ'],
  ['65', 'SG'],
  ['81', 'JP'],
  ['91', 'IN'],
  ['351', 'PT'],
  ['353', 'IE'],
  ['852', 'HK'],
  ['971', 'AE'],
  ['972', 'IL'],
];

/** ISO country of an E.164 number by its calling code (longest match), '' if unknown. */
export function countryOf(e164: string): string {
  const digits = e164.replace(/\D/g, '');
  let best = '';
  let bestLen = 0;
  for (const [code, country] of CALLING_CODES) {
    if (digits.startsWith(code) && code.length > bestLen) {
      best = country;
      bestLen = code.length;
    }
  }
  return best;
}

export interface InboundRequest {
  from: string;
  body: string;
  messageSid?: string;
  duplicate?: boolean;
  signature?: 'valid' | 'forged' | 'missing';
}

export interface InboundDelivery extends WebhookResult {
  attempts: number;
  signature: string | null;
}

export function inboundParams(
  messageSid: string,
  account: Account,
  number: PhoneNumber,
  from: string,
  body: string,
) {
  return {
    ToCountry: countryOf(number.phoneNumber),
    ToState: '',
    SmsMessageSid: messageSid,
    NumMedia: '0',
    ToCity: '',
    FromZip: '',
    SmsSid: messageSid,
    FromState: '',
    SmsStatus: 'received',
    FromCity: '',
    Body: body,
    FromCountry: countryOf(from),
    To: number.phoneNumber,
    ToZip: '',
    NumSegments: String(countSegments(body)),
    MessageSid: messageSid,
    AccountSid: account.sid,
    From: from,
    ApiVersion: API_VERSION,
  };
}

export async function deliverInbound(
  state: SandboxState,
  transport: WebhookTransport,
  account: Account,
  number: PhoneNumber,
  request: InboundRequest,
): Promise<{ message_sid: string; url: string; method: string; deliveries: InboundDelivery[] }> {
  const messageSid = request.messageSid || newSid('SM');
  const params = inboundParams(messageSid, account, number, request.from, request.body);
  const now = new Date();
  const record: Message = {
    sid: messageSid,
    accountSid: account.sid,
    to: number.phoneNumber,
    from: request.from,
    body: request.body,
    status: 'received',
    direction: 'inbound',
    errorCode: null,
    errorMessage: null,
    statusCallback: null,
    validityPeriod: null,
    numSegments: countSegments(request.body),
    dateCreated: now,
    dateSent: now,
    dateUpdated: now,
    callbacks: [],
  };
  if (!state.messages.has(messageSid)) state.addMessage(record);

  const url = number.smsUrl;
  const method = number.smsMethod === 'GET' ? 'GET' : 'POST';
  const deliveries: InboundDelivery[] = [];
  if (!url) return { message_sid: messageSid, url, method, deliveries };

  const signedUrl = WebhookTransport.urlFor(url, method, params);
  const signedParams = method === 'POST' ? params : {};
  let signature: string | null = twilioSignature(account.authToken, signedUrl, signedParams);
  if (request.signature === 'forged')
    signature = twilioSignature(`forged-${account.authToken}`, signedUrl, signedParams);
  if (request.signature === 'missing') signature = null;
  const headers: Record<string, string> = { 'i-twilio-idempotency-token': `${messageSid}-inbound` };
  if (signature !== null) headers['x-twilio-signature'] = signature;

  for (let copy = 0; copy < (request.duplicate ? 2 : 1); copy++) {
    // Twilio retries a webhook once, on connection failure only.
    let result = await transport.send(url, method, params, headers);
    let attempts = 1;
    if (result.status === 0) {
      result = await transport.send(url, method, params, headers);
      attempts = 2;
    }
    deliveries.push({ ...result, attempts, signature });
  }
  return { message_sid: messageSid, url, method, deliveries };
}
