import { parseInbound } from './relay-protocol';

describe('parseInbound', () => {
  it('reads each frame type Twilio sends', () => {
    expect(parseInbound('{"type":"prompt","voicePrompt":"hi","lang":"en-US","last":true}')).toEqual({
      type: 'prompt',
      voicePrompt: 'hi',
      lang: 'en-US',
      last: true,
    });
    expect(parseInbound('{"type":"prompt","voicePrompt":"h","last":false}')).toMatchObject({ last: false });
    expect(parseInbound('{"type":"dtmf","digit":"1"}')).toEqual({ type: 'dtmf', digit: '1' });
    expect(
      parseInbound('{"type":"interrupt","utteranceUntilInterrupt":"Sure","durationUntilInterruptMs":90}'),
    ).toEqual({ type: 'interrupt', utteranceUntilInterrupt: 'Sure', durationUntilInterruptMs: 90 });
    expect(
      parseInbound('{"type":"setup","callSid":"CA1","customParameters":{"call_id":"call_1","n":1}}'),
    ).toMatchObject({ type: 'setup', callSid: 'CA1', customParameters: { call_id: 'call_1' } });
    expect(parseInbound('{"type":"error","description":"boom"}')).toEqual({
      type: 'error',
      description: 'boom',
    });
  });

  it('is null for what is not a frame we understand', () => {
    expect(parseInbound('not json')).toBeNull();
    expect(parseInbound('[1]')).toBeNull();
    expect(parseInbound('{"type":"mystery"}')).toBeNull();
    expect(parseInbound('{"type":"setup"}')).toBeNull();
    expect(parseInbound('{"type":"prompt","voicePrompt":3}')).toBeNull();
  });
});
