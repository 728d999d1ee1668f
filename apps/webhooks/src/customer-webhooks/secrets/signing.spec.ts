import { Webhook } from 'standardwebhooks';
import { newCustomerWebhookSecret, signCustomerWebhook } from './signing';

describe('Standard Webhooks signing', () => {
  it('makes whsec_ secrets of 32 random bytes', () => {
    const s = newCustomerWebhookSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
    expect(newCustomerWebhookSecret()).not.toBe(s);
  });

  it('signs so that the standardwebhooks verifier accepts it, with either secret during a rotation', () => {
    const [oldSecret, newSecret] = [newCustomerWebhookSecret(), newCustomerWebhookSecret()];
    const body = JSON.stringify({ type: 'sms.received', data: { text: 'héllo' } });
    const headers = signCustomerWebhook([newSecret, oldSecret], 'evt_1', new Date(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(newSecret).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(new Webhook(oldSecret).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(() => new Webhook(newCustomerWebhookSecret()).verify(body, { ...headers })).toThrow();
    expect(() => new Webhook(newSecret).verify(`${body} `, { ...headers })).toThrow();
  });
});
