import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes (the spec allows 24 to 64). */
export function newCustomerWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * The three Standard Webhooks headers for one attempt. With several secrets
 * (a rotation's grace period) the signatures are space separated, which every
 * Standard Webhooks verifier accepts if any one of them matches.
 */
export function signCustomerWebhook(secrets: string[], id: string, at: Date, body: string): SignedHeaders {
  if (secrets.length === 0) throw new Error('signCustomerWebhook needs at least one secret');
  const seconds = new Date(Math.floor(at.getTime() / 1000) * 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(seconds.getTime() / 1000),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(id, seconds, body)).join(' '),
  };
}
