import { randomBytes } from 'node:crypto';

/** Public ids: a type prefix and random hex, as the spec's `agent_125207e452f8714a`. */
export function newId(
  prefix: 'agent' | 'acct' | 'pn' | 'msg' | 'evt' | 'whd' | 'opt' | 'call' | 'bkg' | 'cmp',
): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

export const ID_PATTERNS = {
  agent: /^agent_[0-9a-f]{16}$/,
  account: /^acct_[0-9a-f]{16}$/,
  message: /^msg_[0-9a-f]{16}$/,
  call: /^call_[0-9a-f]{16}$/,
  campaign: /^cmp_[0-9a-f]{16}$/,
};
