import { RecipientRules, checkRecipient } from './recipient-check';

const rules = (over: Partial<RecipientRules> = {}): RecipientRules => ({
  template: 'Hi {{ first_name }}, code {{code}}.',
  placeholders: ['first_name', 'code'],
  respectQuietHours: true,
  destinationAllowed: (country) => country === 'GB' || country === 'NG',
  optedOut: new Set(['+447700900999']),
  ...over,
});
const row = (to: string, variables: Record<string, unknown> | null = { first_name: 'Ada', code: 7 }) => ({
  row: 1,
  to,
  variables,
});

describe('checkRecipient', () => {
  it('renders the template with the row (numbers printed), counting segments and cost', () => {
    expect(checkRecipient(rules(), row(' +447700900123 '))).toMatchObject({
      to: '+447700900123',
      skip: null,
      country: 'GB',
      body: 'Hi Ada, code 7.',
      segments: 1,
      encoding: 'GSM-7',
      cost: { currency: 'GBP', amount: 0.04 },
    });
  });

  it.each([
    ['07700 900123', null, 'invalid_number'],
    ['+12125550143', null, 'destination_not_allowed'],
    ['+447700900999', null, 'opted_out'],
    ['+2348031234567', null, 'quiet_hours_unsupported_country'],
    ['+447700900123', { first_name: 'Ada' }, 'missing_variable'],
    ['+447700900123', { first_name: { nested: true }, code: 1 }, 'missing_variable'],
  ])('%s %j -> %s', (to, variables, reason) => {
    const checked = checkRecipient(rules(), row(to, variables ?? undefined));
    expect(checked.skip?.reason).toBe(reason);
    expect(checked.body).toBeNull();
  });

  it('skips a blank or over-long rendering', () => {
    const blank = rules({ template: '{{x}}', placeholders: ['x'] });
    expect(checkRecipient(blank, row('+447700900123', { x: '  ' })).skip?.reason).toBe('message_empty');
    expect(checkRecipient(blank, row('+447700900123', { x: 'y'.repeat(1601) })).skip?.reason).toBe(
      'message_too_long',
    );
    expect(checkRecipient(blank, row('+447700900123', { x: 'y'.repeat(1600) })).segments).toBe(11);
  });

  it('without quiet hours a country of unknown zones is sent', () => {
    expect(checkRecipient(rules({ respectQuietHours: false }), row('+2348031234567')).skip).toBeNull();
  });
});
