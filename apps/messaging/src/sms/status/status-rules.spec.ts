import {
  NON_FINAL_STATUSES,
  callbackOutcomeTable,
  canTransition,
  decideCallback,
  fromTwilioStatus,
  isFinalStatus,
  statusRank,
} from './status-rules';

describe('status order', () => {
  it('moves forward only', () => {
    expect(canTransition('queued', 'sending')).toBe(true);
    expect(canTransition('sending', 'sent')).toBe(true);
    expect(canTransition('sent', 'sending')).toBe(false);
    expect(canTransition('sent', 'sent')).toBe(false);
    expect(canTransition('queued', 'delivered')).toBe(true);
  });

  it('a final status wins over everything but read-after-delivered', () => {
    for (const final of ['delivered', 'undelivered', 'failed', 'canceled'] as const) {
      expect(isFinalStatus(final)).toBe(true);
      for (const next of ['sending', 'sent', 'delivered', 'undelivered', 'failed'] as const) {
        expect(canTransition(final, next)).toBe(false);
      }
    }
    expect(canTransition('delivered', 'read')).toBe(true);
    expect(canTransition('sent', 'read')).toBe(false);
    expect(statusRank('read')).toBeGreaterThan(statusRank('delivered'));
  });

  it('non-final statuses are the ones reconciliation asks about', () => {
    expect([...NON_FINAL_STATUSES].sort()).toEqual(
      ['accepted', 'partially_delivered', 'queued', 'receiving', 'scheduled', 'sending', 'sent'].sort(),
    );
  });

  it("maps Twilio's strings and rejects unknown ones", () => {
    expect(fromTwilioStatus('Delivered')).toBe('delivered');
    expect(fromTwilioStatus('partially_delivered')).toBe('partially_delivered');
    expect(fromTwilioStatus('bogus')).toBeUndefined();
    expect(fromTwilioStatus(undefined)).toBeUndefined();
  });
});

describe('callback decision', () => {
  it('unknown status first, then the account, then the order', () => {
    expect(decideCallback({ status: 'sent', accountMatches: false }, undefined)).toBe('unknown_status');
    expect(decideCallback({ status: 'sent', accountMatches: false }, 'delivered')).toBe('account_mismatch');
    expect(decideCallback({ status: 'sent', accountMatches: true }, 'delivered')).toBe('applied');
    expect(decideCallback({ status: 'delivered', accountMatches: true }, 'sent')).toBe('ignored');
  });

  it('the SQL table is the same decision for every current status', () => {
    const table = callbackOutcomeTable('sent');
    expect(table.same.queued).toBe('applied');
    expect(table.same.delivered).toBe('ignored');
    expect(table.other.queued).toBe('account_mismatch');
    expect(Object.values(callbackOutcomeTable(undefined).same)).toEqual(
      Object.values(callbackOutcomeTable(undefined).other),
    );
  });
});
