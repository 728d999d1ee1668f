import { createHmac } from 'node:crypto';

/**
 * X-Twilio-Signature: base64(HMAC-SHA1(authToken, url + for each POST
 * parameter sorted by name: name + value)). For GET webhooks the parameters
 * are in the URL's query string and `params` is empty.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  let data = url;
  for (const key of Object.keys(params).sort()) data += key + params[key];
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}
