import twilio from 'twilio';
import { sendFailureOf } from '../dispatch/twilio-sender';
import { isBulk, throttleOf } from './pacer';

function rest(status: number, code: number, message = 'x') {
  return new twilio.RestException({
    statusCode: status,
    body: { code, message, more_info: '', status },
  } as any);
}

describe('which Twilio answers pause the sender', () => {
  it('429/20429 and 21611; nothing else', () => {
    expect(throttleOf(sendFailureOf(rest(429, 20429)))).toBe('429');
    expect(throttleOf(sendFailureOf(rest(400, 21611, 'queue full')))).toBe('21611');
    expect(throttleOf(sendFailureOf(rest(400, 21211)))).toBeNull();
    expect(throttleOf(sendFailureOf(rest(500, 20500)))).toBeNull();
    expect(
      throttleOf(sendFailureOf(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))),
    ).toBeNull();
  });
});

describe('bulk or interactive', () => {
  it('bulk is what the releaser released: scheduled singles and campaign messages', () => {
    expect(isBulk({ scheduledFor: new Date(), campaignId: null })).toBe(true);
    expect(isBulk({ scheduledFor: new Date(), campaignId: 'cmp_1' })).toBe(true);
    expect(isBulk({ scheduledFor: null, campaignId: 'cmp_1' })).toBe(true);
    expect(isBulk({ scheduledFor: null, campaignId: null })).toBe(false);
  });
});
