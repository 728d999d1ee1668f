import { shortTranscript } from './call-transcript';

describe('shortTranscript', () => {
  it('keeps the first caller turn and the last exchange, marking what was left out', () => {
    const line = shortTranscript([
      { role: 'agent', text: 'Hello, Smile Dental.' },
      { role: 'caller', text: 'I want a cleaning.' },
      { role: 'agent', text: 'Which day?' },
      { role: 'caller', text: 'Tuesday.' },
      { role: 'agent', text: 'Tuesday at ten?' },
      { role: 'caller', text: 'Yes please.' },
      { role: 'agent', text: 'Booked.' },
    ]);
    expect(line).toBe('Caller: I want a cleaning. / … / Caller: Yes please. / You: Booked.');
  });

  it('is the whole call when it is short, and empty when nobody spoke', () => {
    expect(
      shortTranscript([
        { role: 'agent', text: 'Hi' },
        { role: 'caller', text: 'Bye' },
      ]),
    ).toBe('Caller: Bye');
    expect(shortTranscript([])).toBe('');
  });

  it('clips to the limit', () => {
    const line = shortTranscript([{ role: 'caller', text: 'x'.repeat(500) }], 300);
    expect(line).toHaveLength(300);
    expect(line.endsWith('…')).toBe(true);
  });
});
