import { LoopThresholds, ThreadMessage, autoReplyMarker, detectLoop, fastLimitMs } from './loop-detector';

const T: LoopThresholds = { fastBaseMs: 2000, fastMsPerChar: 50, fastStreak: 3, repeats: 3 };
const T0 = Date.parse('2026-01-05T10:00:00Z');

/**
 * A thread from a script: `['out', 0, 'Hi']` is our message at +0 s,
 * `['in', 0.5, 'Hello']` the contact's at +0.5 s.
 */
function thread(...steps: Array<['in' | 'out', number, string]>): ThreadMessage[] {
  return steps.map(([dir, s, body], i) => ({
    id: `msg_${i}`,
    direction: dir === 'in' ? 'inbound' : 'outbound',
    body,
    at: new Date(T0 + s * 1000),
  }));
}

describe('autoReplyMarker', () => {
  it.each([
    ['Auto-Reply: I am out of the office until Monday', 'auto-reply'],
    ['Thank you for your message. This is an automated message.', 'automated message'],
    ['OUT OF OFFICE - back on the 5th', 'out of office'],
    ['Please do not reply to this number', 'do not reply'],
    ['I’m away from my phone, will get back to you', "i'm away"],
    ['  I am away until Friday.', 'i am away'],
    [
      "I'm driving with Driving Focus turned on. I'll see your message when I get where I'm going.",
      'driving focus',
    ],
  ])('finds the marker in %j', (body, marker) => {
    expect(autoReplyMarker(body)).toBe(marker);
  });

  it.each([
    'Can I book a cleaning on Monday?',
    'I am away next week, can we move my appointment?'.replace('I am away', 'We are away'),
    'Thanks, see you then',
    'Sorry I was away from my desk, yes Tuesday works',
  ])('finds none in a person’s text %j', (body) => {
    expect(autoReplyMarker(body)).toBeNull();
  });

  it('counts "I am away" only at the start of the text', () => {
    expect(autoReplyMarker('Next week I am away, can we do Friday?')).toBeNull();
    expect(autoReplyMarker('I am away next week')).toBe('i am away');
  });
});

describe('detectLoop', () => {
  it('bounds a fast text by the base plus the time to type its characters', () => {
    expect(fastLimitMs(40, T)).toBe(4000);
    expect(fastLimitMs(0, { fastBaseMs: 1500, fastMsPerChar: 0 })).toBe(1500);
  });

  it('is quiet for a person at human pace, and for one fast text among slow ones', () => {
    const human = thread(
      ['in', 0, 'Hi, are you open Saturday?'],
      ['out', 1, 'Yes, 9 to 1.'],
      ['in', 1.8, 'ok'], // fast, but one alone
      ['out', 2.5, 'Anything else?'],
      ['in', 20, 'Can I book a cleaning at 10?'],
      ['out', 21, 'Booked for 10.'],
      ['in', 40, 'Great, thanks a lot!'],
    );
    expect(detectLoop(human, T)).toBeNull();
  });

  it('does not take "ok" three times, or a repeat with no reply between, for a loop', () => {
    const oks = thread(
      ['in', 0, 'ok'],
      ['out', 1, 'a'],
      ['in', 30, 'ok'],
      ['out', 31, 'b'],
      ['in', 60, 'ok'],
    );
    expect(detectLoop(oks, T)).toBeNull();
    const hello = thread(
      ['in', 0, 'Hello, is anyone there?'],
      ['in', 60, 'Hello, is anyone there?'],
      ['in', 120, 'Hello, is anyone there?'],
    );
    expect(detectLoop(hello, T)).toBeNull();
  });

  it('trips on a streak of fast replies, naming the text that completed it', () => {
    const bot = thread(
      ['out', 0, 'Hello from Acme'],
      ['in', 0.4, 'Ticket 101 opened, thank you'],
      ['out', 1, 'Could you tell us more?'],
      ['in', 1.3, 'Ticket 102 opened, thank you'],
      ['out', 2, 'We did not understand.'],
    );
    expect(detectLoop(bot, T)).toBeNull();
    const more = [
      ...bot,
      ...thread(['in', 2.3, 'Ticket 103 opened, thank you']).map((m) => ({ ...m, id: 'msg_x' })),
    ];
    expect(detectLoop(more, T)).toMatchObject({ signal: 'fast_replies', messageId: 'msg_x' });
  });

  it('breaks a fast streak with one slow text', () => {
    const t = thread(
      ['out', 0, 'a'],
      ['in', 0.5, 'reply one here'],
      ['out', 1, 'b'],
      ['in', 1.5, 'reply two here'],
      ['out', 2, 'c'],
      ['in', 30, 'reply three here'],
      ['out', 31, 'd'],
      ['in', 31.5, 'reply four here'],
    );
    expect(detectLoop(t, T)).toBeNull();
  });

  it('trips on identical texts, each after a reply, at any pace (case and punctuation aside)', () => {
    const t = thread(
      ['in', 0, 'Thanks! We will get back to you soon.'],
      ['out', 5, 'a'],
      ['in', 60, 'thanks we will get back to you soon'],
      ['out', 65, 'b'],
      ['in', 120, 'THANKS - we will get back to you soon!'],
    );
    expect(detectLoop(t, T)).toMatchObject({ signal: 'repeated_text', messageId: 'msg_4' });
    expect(detectLoop(t.slice(0, 4), T)).toBeNull();
  });

  it('trips at once on an auto-reply marker', () => {
    expect(detectLoop(thread(['in', 0, 'Automatic reply: on leave']), T)).toMatchObject({
      signal: 'auto_reply_marker',
      messageId: 'msg_0',
      detail: 'the text says "automatic reply"',
    });
  });

  it('keeps the latest sign: a later person-like text is still within the loop', () => {
    const t = thread(['in', 0, 'Out of office until May'], ['in', 600, 'Hi, can I book?']);
    expect(detectLoop(t, T)).toMatchObject({ signal: 'auto_reply_marker', messageId: 'msg_0' });
  });

  it('ignores signs before `since`, but lets them start a streak', () => {
    const t = thread(['in', 0, 'Out of office until May'], ['in', 600, 'Hi, can I book?']);
    expect(detectLoop(t, T, new Date(T0 + 300_000))).toBeNull();
    const streak = thread(
      ['out', 0, 'a'],
      ['in', 0.5, 'reply one here'],
      ['out', 1, 'b'],
      ['in', 1.5, 'reply two here'],
      ['out', 2, 'c'],
      ['in', 2.5, 'reply three here'],
    );
    expect(detectLoop(streak, T, new Date(T0 + 2000))).toMatchObject({
      signal: 'fast_replies',
      messageId: 'msg_5',
    });
  });
});
