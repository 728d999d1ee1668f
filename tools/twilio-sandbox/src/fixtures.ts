import { callDuration, type Call } from './calls';
import { rfc2822 } from './ids';
import type { Account, Message, PhoneNumber } from './state';

/**
 * Renders state objects as Twilio REST JSON (snake_case, RFC 2822 dates,
 * relative `uri`s), following the v2010 OpenAPI schemas.
 */

export const API_VERSION = '2010-04-01';
export const API_PREFIX = `/${API_VERSION}`;

const accountUri = (sid: string) => `${API_PREFIX}/Accounts/${sid}`;

export function accountJson(a: Account) {
  const base = accountUri(a.sid);
  const sub = (name: string) => `${base}/${name}.json`;
  return {
    auth_token: a.authToken,
    date_created: rfc2822(a.dateCreated),
    date_updated: rfc2822(a.dateUpdated),
    friendly_name: a.friendlyName,
    owner_account_sid: a.parentSid ?? a.sid,
    sid: a.sid,
    status: a.status,
    subresource_uris: {
      available_phone_numbers: sub('AvailablePhoneNumbers'),
      calls: sub('Calls'),
      incoming_phone_numbers: sub('IncomingPhoneNumbers'),
      messages: sub('Messages'),
      balance: sub('Balance'),
    },
    type: 'Full',
    uri: `${base}.json`,
  };
}

export function numberJson(n: PhoneNumber) {
  return {
    account_sid: n.accountSid,
    address_requirements: 'none',
    address_sid: null,
    api_version: API_VERSION,
    beta: false,
    capabilities: { ...n.capabilities },
    date_created: rfc2822(n.dateCreated),
    date_updated: rfc2822(n.dateUpdated),
    emergency_status: 'Inactive',
    emergency_address_sid: null,
    emergency_address_status: 'unregistered',
    friendly_name: n.friendlyName,
    identity_sid: null,
    origin: 'twilio',
    phone_number: n.phoneNumber,
    sid: n.sid,
    sms_application_sid: null,
    sms_fallback_method: n.smsFallbackMethod,
    sms_fallback_url: n.smsFallbackUrl,
    sms_method: n.smsMethod,
    sms_url: n.smsUrl,
    status_callback: n.statusCallback,
    status_callback_method: n.statusCallbackMethod,
    trunk_sid: null,
    uri: `${accountUri(n.accountSid)}/IncomingPhoneNumbers/${n.sid}.json`,
    voice_application_sid: null,
    voice_caller_id_lookup: false,
    voice_fallback_method: n.voiceFallbackMethod,
    voice_fallback_url: n.voiceFallbackUrl,
    voice_method: n.voiceMethod,
    voice_url: n.voiceUrl,
    voice_receive_mode: 'voice',
    bundle_sid: null,
    status: 'in-use',
    type: 'local',
  };
}

export function messageJson(m: Message) {
  const uri = `${accountUri(m.accountSid)}/Messages/${m.sid}`;
  return {
    account_sid: m.accountSid,
    api_version: API_VERSION,
    body: m.body,
    date_created: rfc2822(m.dateCreated),
    date_sent: m.dateSent ? rfc2822(m.dateSent) : null,
    date_updated: rfc2822(m.dateUpdated),
    direction: m.direction,
    error_code: m.errorCode,
    error_message: m.errorMessage,
    from: m.from,
    messaging_service_sid: null,
    num_media: '0',
    num_segments: String(m.numSegments),
    price: null,
    price_unit: 'USD',
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: `${uri}/Media.json`, feedback: `${uri}/Feedback.json` },
    to: m.to,
    uri: `${uri}.json`,
  };
}

/** `(808) 925-5327` for NANP numbers, the E.164 number otherwise (how Twilio formats numbers). */
export function formatPhone(e164: string): string {
  const m = e164.match(/^\+1(\d{3})(\d{3})(\d{4})$/);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : e164;
}

export function callJson(c: Call) {
  const uri = `${accountUri(c.accountSid)}/Calls/${c.sid}`;
  const duration = callDuration(c);
  return {
    account_sid: c.accountSid,
    answered_by: null,
    api_version: API_VERSION,
    caller_name: null,
    date_created: rfc2822(c.dateCreated),
    date_updated: rfc2822(c.dateUpdated),
    direction: c.direction,
    duration: duration === null ? null : String(duration),
    end_time: c.endTime ? rfc2822(c.endTime) : null,
    forwarded_from: null,
    from: c.from,
    from_formatted: formatPhone(c.from),
    group_sid: null,
    parent_call_sid: null,
    phone_number_sid: c.phoneNumberSid,
    price: null,
    price_unit: 'USD',
    queue_time: '0',
    sid: c.sid,
    start_time: c.startTime ? rfc2822(c.startTime) : null,
    status: c.status,
    subresource_uris: {
      feedback: `${uri}/Feedback.json`,
      notifications: `${uri}/Notifications.json`,
      recordings: `${uri}/Recordings.json`,
      streams: `${uri}/Streams.json`,
      payments: `${uri}/Payments.json`,
      user_defined_messages: `${uri}/UserDefinedMessages.json`,
      events: `${uri}/Events.json`,
    },
    to: c.to,
    to_formatted: formatPhone(c.to),
    trunk_sid: null,
    uri: `${uri}.json`,
  };
}

/**
 * Twilio's list wrapper. `filters` are the request's filter parameters, kept
 * in the page URIs the way Twilio does.
 */
export function listPage<T>(
  key: string,
  path: string,
  filters: Record<string, string>,
  all: T[],
  page: number,
  pageSize: number,
  render: (item: T) => unknown,
) {
  const pageUri = (p: number) => {
    const q = new URLSearchParams(filters);
    q.set('PageSize', String(pageSize));
    q.set('Page', String(p));
    return `${path}?${q.toString()}`;
  };
  const start = page * pageSize;
  const items = all.slice(start, start + pageSize);
  const hasNext = start + pageSize < all.length;
  return {
    [key]: items.map(render),
    end: items.length > 0 ? start + items.length - 1 : start,
    first_page_uri: pageUri(0),
    next_page_uri: hasNext ? pageUri(page + 1) : null,
    page,
    page_size: pageSize,
    previous_page_uri: page > 0 ? pageUri(page - 1) : null,
    start,
    uri: pageUri(page),
  };
}
