import twilio from 'twilio';
import { parseCallScript, ScriptError } from './call-script';
import { parseTwiml, TwimlError } from './twiml';

describe('parseTwiml', () => {
  it('reads the TwiML the twilio package builds for ConversationRelay, attributes and parameters included', () => {
    const response = new twilio.twiml.VoiceResponse();
    response.say({ voice: 'alice' }, 'One moment & thanks.');
    const relay = response.connect({ action: 'https://app.example/relay-ended?x=1&y=2' }).conversationRelay({
      url: 'wss://app.example/relay?t=a&u=b',
      welcomeGreeting: 'Hi "there"',
      dtmfDetection: true,
    });
    relay.parameter({ name: 'call_id', value: 'call_1' });
    relay.parameter({ name: 'empty', value: '' });
    response.hangup();
    expect(parseTwiml(response.toString())).toEqual([
      { kind: 'say', text: 'One moment & thanks.', attributes: { voice: 'alice' } },
      {
        kind: 'connect',
        attributes: { action: 'https://app.example/relay-ended?x=1&y=2' },
        relay: {
          attributes: {
            url: 'wss://app.example/relay?t=a&u=b',
            welcomeGreeting: 'Hi "there"',
            dtmfDetection: 'true',
          },
          parameters: { call_id: 'call_1', empty: '' },
        },
      },
      { kind: 'hangup' },
    ]);
  });

  it('reads Pause, Reject and keeps unknown verbs', () => {
    expect(
      parseTwiml('<Response><Pause length="2"/><Pause/><Reject reason="busy"/><Reject/><Gather/></Response>'),
    ).toEqual([
      { kind: 'pause', length: 2 },
      { kind: 'pause', length: 1 },
      { kind: 'reject', reason: 'busy' },
      { kind: 'reject', reason: 'rejected' },
      { kind: 'unsupported', name: 'Gather', attributes: {} },
    ]);
    expect(parseTwiml('<Response/>')).toEqual([]);
  });

  it.each(['', 'plain text', '<Response><Say>x</Response>', '<Play>x</Play>', '<Response/><Response/>'])(
    'refuses %j as unparseable',
    (text) => {
      expect(() => parseTwiml(text)).toThrow(TwimlError);
    },
  );
});

describe('parseCallScript', () => {
  it('fills in defaults and keeps the steps', () => {
    expect(
      parseCallScript({
        steps: [{ say: 'Hi', barge_in_after_tokens: 3 }, { dtmf: '1#' }, { silence_ms: 5 }, { hangup: true }],
      }),
    ).toEqual({
      steps: [{ say: 'Hi', barge_in_after_tokens: 3 }, { dtmf: '1#' }, { silence_ms: 5 }, { hangup: true }],
      then: 'hangup',
      turn_timeout_ms: 10_000,
      timeout_ms: 30_000,
    });
  });

  it.each([
    [{ steps: {} }],
    [{ steps: [{ say: 1 }] }],
    [{ steps: [{ dtmf: 'x' }] }],
    [{ steps: [{ say: 'a', barge_in_after_tokens: 0 }] }],
    [{ steps: [{ hangup: false }] }],
    [{ then: 'later' }],
    [{ timeout_ms: -1 }],
  ])('refuses %j', (raw) => {
    expect(() => parseCallScript(raw)).toThrow(ScriptError);
  });
});
