import { customerErrorMessage, smsStatusCustomerEvent, smsStatusEventId } from './status-customer-event';

const outbound = {
  id: 'msg_1',
  accountId: 'acc_1',
  agentId: 'agt_1',
  twilioSid: 'SM' + '0'.repeat(32),
  direction: 'outbound' as const,
  fromNumber: '+447700900001',
  toNumber: '+447700900002',
  status: 'failed' as const,
  errorCode: '30006',
};

describe('sms.status_updated customer event', () => {
  it('is about our number, with an id stable per status and kind', () => {
    const at = new Date('2026-01-01T10:00:00Z');
    const event = smsStatusCustomerEvent(outbound, 'sent', 'change', at);
    expect(event).toEqual({
      event_id: 'evt_sms_status_msg_1_failed',
      account_id: 'acc_1',
      phone_number: '+447700900001',
      agent_id: 'agt_1',
      type: 'sms.status_updated',
      occurred_at: at.toISOString(),
      data: {
        message_id: 'msg_1',
        status: 'failed',
        previous_status: 'sent',
        error_code: '30006',
        error_message: 'Landline or unreachable carrier',
        soft_failure: false,
        twilio_sid: outbound.twilioSid,
        to: '+447700900002',
        from_number: '+447700900001',
        call_id: null,
        at: at.toISOString(),
      },
    });
    expect(smsStatusEventId('msg_1', 'sent', 'soft_failure')).toBe('evt_sms_status_msg_1_soft_failure');
    expect(smsStatusEventId('msg_1', 'failed', 'error_code')).toBe('evt_sms_status_msg_1_failed_error_code');
  });

  it('is not sent for an inbound message', () => {
    expect(
      smsStatusCustomerEvent({ ...outbound, direction: 'inbound' }, 'sent', 'change', new Date()),
    ).toBeNull();
  });

  it('words codes itself: Twilio codes by meaning, ours by a fixed text, anything else not at all', () => {
    expect(customerErrorMessage(null)).toBeNull();
    expect(customerErrorMessage('30003')).toBe('Unreachable destination handset');
    expect(customerErrorMessage('99999')).toBe('Twilio error 99999');
    expect(customerErrorMessage('number_not_found')).toBe('The sending number is no longer imported');
    expect(customerErrorMessage('something_else')).toBeNull();
  });
});
