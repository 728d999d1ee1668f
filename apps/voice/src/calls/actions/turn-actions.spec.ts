import type { Call } from '../data/call.entities';
import { CALL_SMS_SAY, CallSms, CallSmsOutcome } from './call-sms';
import { FILLER_CHECKING, FILLER_TEXTING, TurnActions, fillerFor } from './turn-actions';

/** A CallSms that records what it was asked and answers `outcome`. */
function recordingSms(outcome: (n: number) => CallSmsOutcome) {
  const sent: { text: string; key: string }[] = [];
  const sms = {
    send: (_call: Call, text: string, key: string) => {
      sent.push({ text, key });
      return Promise.resolve(outcome(sent.length));
    },
  } as unknown as CallSms;
  return { sms, sent };
}

const call = { id: 'call_0123456789abcdef' } as Call;

describe('TurnActions', () => {
  it('keys tags by turn and tag index, sends a text once per turn, and notes each outcome', async () => {
    const { sms, sent } = recordingSms((n) => ({ ok: true, message_id: `msg_${n}`, say: CALL_SMS_SAY.sent }));
    const notes: string[] = [];
    const acts = new TurnActions(sms, call, 3, { sms: true }, [], (n) => notes.push(n));
    await Promise.all([
      acts.tag('Your code is 1234'),
      acts.tag('12 High Street'),
      acts.tag('Your code is 1234'),
    ]);
    expect(sent).toEqual([
      { text: 'Your code is 1234', key: `${call.id}:turn:3:sms:0` },
      { text: '12 High Street', key: `${call.id}:turn:3:sms:1` },
    ]);
    expect(notes).toHaveLength(3);
    expect(notes[0]).toContain('"Your code is 1234") was sent');
  });

  it('offers send_sms first, keyed by the tool call, sharing the text with a tag of the same turn', async () => {
    const { sms, sent } = recordingSms(() => ({
      ok: false,
      error: 'recipient_opted_out',
      say: CALL_SMS_SAY.optedOut,
    }));
    const notes: string[] = [];
    const extra = { spec: { name: 'check_availability', description: '', parameters: {} }, run: jest.fn() };
    const acts = new TurnActions(sms, call, 1, { sms: true }, [extra], (n) => notes.push(n));
    expect(acts.tools.map((t) => t.spec.name)).toEqual(['send_sms', 'check_availability']);
    const result = JSON.parse(await acts.tools[0].run({ text: ' Hi there ' }, { toolCallId: 'call_abc' }));
    expect(result).toEqual({ ok: false, error: 'recipient_opted_out', say: CALL_SMS_SAY.optedOut });
    await acts.tag('Hi there');
    expect(sent).toEqual([{ text: 'Hi there', key: `${call.id}:tool:call_abc` }]);
    expect(notes[0]).toContain('was not sent: The caller has opted out');
  });

  it('refuses an empty text without sending', async () => {
    const { sms, sent } = recordingSms(() => ({ ok: true, message_id: 'msg_1', say: '' }));
    const acts = new TurnActions(sms, call, 1, { sms: true }, [], () => undefined);
    const result = JSON.parse(await acts.tools[0].run({ text: '  ' }, { toolCallId: 'x' }));
    expect(result.ok).toBe(false);
    expect(result.error).toBe('invalid_arguments');
    expect(sent).toEqual([]);
  });

  it('says a short filler for a text, a longer one for a lookup', () => {
    const c = (name: string) => ({ id: 'x', name, arguments: '{}' });
    expect(fillerFor([c('send_sms')])).toBe(FILLER_TEXTING);
    expect(fillerFor([c('send_sms'), c('book_appointment')])).toBe(FILLER_CHECKING);
    expect(fillerFor([c('check_availability')])).toBe(FILLER_CHECKING);
  });
});
