import { clampReply, helpText, optOutChange, parseKeyword, pendingReplyKind, replyKind } from './keywords';

describe('parseKeyword', () => {
  it('recognises single trimmed case-insensitive words only', () => {
    expect(parseKeyword('  stop ')).toEqual({ kind: 'opt_out', word: 'STOP' });
    expect(parseKeyword('Unsubscribe')?.kind).toBe('opt_out');
    expect(parseKeyword('unstop')?.kind).toBe('opt_in');
    expect(parseKeyword('yes')?.kind).toBe('yes');
    expect(parseKeyword('Info')?.kind).toBe('help');
    expect(parseKeyword('stop it')).toBeNull();
    expect(parseKeyword('hello')).toBeNull();
  });

  it('clamps replies to 600 characters', () => {
    expect(clampReply(' hi ')).toBe('hi');
    expect(clampReply('word '.repeat(300)).length).toBeLessThanOrEqual(600);
  });
});

describe('the keyword state machine', () => {
  const kw = (body: string) => parseKeyword(body);

  it('STOP opts out and gets no reply', () => {
    expect(optOutChange(kw('STOP'))).toBe('opt_out');
    expect(replyKind(kw('STOP'), false)).toBe('none');
  });

  it('START opts in and gets no reply, opted out or not', () => {
    expect(optOutChange(kw('start'))).toBe('opt_in');
    expect(replyKind(kw('start'), true)).toBe('none');
    expect(replyKind(kw('start'), false)).toBe('none');
  });

  it('YES opts in when opted out, and otherwise goes to the agent', () => {
    expect(optOutChange(kw('yes'))).toBe('opt_in');
    expect(replyKind(kw('yes'), true)).toBe('none');
    expect(replyKind(kw('yes'), false)).toBe('agent');
  });

  it('HELP gets the help text and changes nothing', () => {
    expect(optOutChange(kw('help'))).toBeNull();
    expect(replyKind(kw('help'), false)).toBe('help');
  });

  it('any other message goes to the agent and changes nothing', () => {
    expect(optOutChange(kw('Are you open?'))).toBeNull();
    expect(replyKind(kw('Are you open?'), false)).toBe('agent');
  });

  it('a redelivered message still owed a reply gets HELP or the agent', () => {
    expect(pendingReplyKind(' info ')).toBe('help');
    expect(pendingReplyKind('yes')).toBe('agent');
  });
});

describe('helpText', () => {
  it('names the agent, starts the business profile, and lists the keywords', () => {
    expect(helpText({ agent_name: 'Ava', custom_prompt: ' Acme  Dental,\nopen 9-5. ' })).toBe(
      'Ava: Acme Dental, open 9-5. Reply STOP to unsubscribe, START to resubscribe.',
    );
    expect(helpText({ agent_name: 'Ava', custom_prompt: null })).toBe(
      'Ava: Reply STOP to unsubscribe, START to resubscribe.',
    );
    expect(helpText({ agent_name: 'Ava', custom_prompt: 'x'.repeat(1000) })).toHaveLength(
      'Ava: '.length + 300 + ' Reply STOP to unsubscribe, START to resubscribe.'.length,
    );
  });
});
