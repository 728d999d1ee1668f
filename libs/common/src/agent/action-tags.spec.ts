import { ActionTagFilter, extractActionTags } from './action-tags';

/** Feeds `tokens` one by one, as a stream would, and joins what comes out. */
function run(tokens: string[]): { spoken: string; sms: string[]; heldAfter: string[] } {
  const f = new ActionTagFilter();
  let spoken = '';
  const sms: string[] = [];
  const heldAfter: string[] = [];
  for (const t of tokens) {
    const out = f.push(t);
    spoken += out.text;
    sms.push(...out.sms);
    heldAfter.push(out.text);
  }
  const last = f.end();
  spoken += last.text;
  sms.push(...last.sms);
  return { spoken, sms, heldAfter };
}

describe('ActionTagFilter', () => {
  it('takes a tag split across tokens out of what is spoken', () => {
    const r = run([
      'Sure, ',
      'I have ',
      'sent it. [SE',
      'ND_',
      'SMS: Your ',
      'booking is ',
      'at 9am]',
      ' Anything else?',
    ]);
    expect(r.spoken).toBe('Sure, I have sent it. Anything else?');
    expect(r.sms).toEqual(['Your booking is at 9am']);
    expect(r.spoken).not.toMatch(/SEND|SMS|\[|\]/);
  });

  it('holds nothing back from text without a bracket', () => {
    const f = new ActionTagFilter();
    expect(f.push('Hello ')).toEqual({ text: 'Hello ', sms: [] });
    expect(f.push('there')).toEqual({ text: 'there', sms: [] });
  });

  it('speaks a bracket that proves not to be a tag, as soon as it does', () => {
    const f = new ActionTagFilter();
    expect(f.push('Press [').text).toBe('Press ');
    expect(f.push('1] for sales')).toEqual({ text: '[1] for sales', sms: [] });
  });

  it('is case-insensitive and finds several tags in one token', () => {
    const r = extractActionTags('A [send_sms: one] b [SEND_SMS:two] c');
    expect(r).toEqual({ text: 'A b c', sms: ['one', 'two'] });
  });

  it('drops a tag left unclosed at the end of the turn, and a bare start of one', () => {
    expect(run(['Okay. ', '[SEND_SMS: never ', 'finished']).spoken).toBe('Okay. ');
    expect(run(['Okay. ', '[SEND_SMS: never ', 'finished']).sms).toEqual([]);
    expect(run(['Okay ', '[SEN']).spoken).toBe('Okay ');
  });

  it('leaves no double space where a tag was, even when the space comes in the next token', () => {
    expect(run(['Done. [SEND_SMS: x]', ' ', 'Bye.']).spoken).toBe('Done. Bye.');
    expect(run(['Done.[SEND_SMS: x] Bye.']).spoken).toBe('Done. Bye.');
    expect(run(['[SEND_SMS: x] Hello']).spoken).toBe('Hello');
  });

  it('ignores an empty tag', () => {
    expect(extractActionTags('Hi [SEND_SMS:   ] there')).toEqual({ text: 'Hi there', sms: [] });
  });

  it('drops a runaway tag that grows past any SMS without closing', () => {
    const f = new ActionTagFilter();
    f.push('[SEND_SMS: ');
    f.push('x'.repeat(2000));
    expect(f.push(' and then words]').text).toBe(' and then words]');
  });
});
