/**
 * Magic callees: the last four digits of an outbound call's `To` decide what
 * happens, like recipient-rules.ts does for messages. Other parts of the
 * project rely on this table exactly; keep the README in sync.
 */

export type CallFinalStatus = 'busy' | 'no-answer' | 'failed';

export type CallRule =
  | { kind: 'reject'; code: number; message: string }
  /** Dials, then ends unanswered with this status. */
  | { kind: 'unanswered'; status: CallFinalStatus }
  | { kind: 'answer' };

export const CALL_RULES: Record<string, CallRule> = {
  '0486': { kind: 'unanswered', status: 'busy' },
  '0487': { kind: 'unanswered', status: 'no-answer' },
  '0488': { kind: 'unanswered', status: 'failed' },
  '1211': { kind: 'reject', code: 21211, message: "Invalid 'To' Phone Number" },
  '1215': {
    kind: 'reject',
    code: 21215,
    message:
      'Account not authorized to call this number. Perhaps you need to enable some international permissions',
  },
  '3227': {
    kind: 'reject',
    code: 13227,
    message: 'Geo permission configuration is not permitting call to this destination',
  },
};

const ANSWER: CallRule = { kind: 'answer' };

export function callRule(to: string): CallRule {
  return CALL_RULES[to.slice(-4)] ?? ANSWER;
}
