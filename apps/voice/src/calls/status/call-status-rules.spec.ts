import { CALL_STATUSES, CallStatus } from '@nixflex/common';
import { canCallTransition, fromTwilioCallStatus, isFinalCallStatus } from './call-status-rules';
import { defaultEndReason } from './call-lifecycle';

describe('call status rules', () => {
  it('moves forward only: queued → initiated → ringing → in-progress → a final status', () => {
    const path: CallStatus[] = ['queued', 'initiated', 'ringing', 'in-progress', 'completed'];
    for (let i = 1; i < path.length; i++) {
      expect(canCallTransition(path[i - 1], path[i])).toBe(true);
      expect(canCallTransition(path[i], path[i - 1])).toBe(false);
      expect(canCallTransition(path[i], path[i])).toBe(false);
    }
    expect(canCallTransition('queued', 'in-progress')).toBe(true);
  });

  it('lets the first final status win', () => {
    const finals = CALL_STATUSES.filter(isFinalCallStatus);
    expect(finals.sort()).toEqual(['busy', 'canceled', 'completed', 'failed', 'no-answer']);
    for (const a of finals) for (const b of finals) expect(canCallTransition(a, b)).toBe(false);
  });

  it("reads Twilio's CallStatus, and nothing else", () => {
    expect(fromTwilioCallStatus('in-progress')).toBe('in-progress');
    expect(fromTwilioCallStatus(' No-Answer ')).toBe('no-answer');
    expect(fromTwilioCallStatus('answered')).toBeNull();
    expect(fromTwilioCallStatus(undefined)).toBeNull();
  });

  it('says why a call ended when nobody recorded a reason', () => {
    expect(defaultEndReason('completed')).toBe('caller_hung_up');
    expect(defaultEndReason('busy')).toBe('not_answered');
    expect(defaultEndReason('no-answer')).toBe('not_answered');
    expect(defaultEndReason('failed')).toBe('relay_error');
  });
});
