import { CampaignSkipReason, e164AndCountry, fillPlaceholders } from '@nixflex/common';
import { CostEstimate, SMS_MAX_LENGTH, countSegments, estimateCost } from '@nixflex/common/sms';
import { COUNTRY_ZONES } from '../sms/schedule/quiet-hours';

/** What every row of one campaign is checked against. */
export interface RecipientRules {
  template: string;
  /** The template's placeholder names. */
  placeholders: readonly string[];
  respectQuietHours: boolean;
  /** Whether the account may send to this country (undefined: no country). */
  destinationAllowed: (country: string | undefined) => boolean;
  /** Recipients (E.164) who opted out of the sending number. */
  optedOut: ReadonlySet<string>;
}

export interface RecipientRow {
  row: number;
  to: string;
  variables?: Record<string, unknown> | null;
}

/** A row as stored: skipped with a reason, or its rendered message. */
export interface CheckedRecipient {
  row: number;
  toRaw: string;
  to: string | null;
  variables: Record<string, string> | null;
  skip: { reason: CampaignSkipReason; message: string } | null;
  country: string | null;
  body: string | null;
  segments: number | null;
  encoding: string | null;
  cost: CostEstimate | null;
}

/** Variables as text: strings as given, numbers and booleans printed, anything else left out. */
function textVariables(raw: Record<string, unknown> | null | undefined): Record<string, string> | null {
  if (!raw) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

/**
 * One row's fate, in the order a customer would fix them: the number, where
 * it may go, whether they opted out, then the text. Duplicates are decided
 * by the caller (they need the whole campaign).
 */
export function checkRecipient(rules: RecipientRules, input: RecipientRow): CheckedRecipient {
  const variables = textVariables(input.variables);
  const base = {
    row: input.row,
    toRaw: input.to,
    variables,
    country: null,
    body: null,
    segments: null,
    encoding: null,
    cost: null,
  };
  const skip = (to: string | null, reason: CampaignSkipReason, message: string): CheckedRecipient => ({
    ...base,
    to,
    skip: { reason, message },
  });
  const number = e164AndCountry(input.to.trim());
  if (!number) return skip(null, 'invalid_number', `${input.to} is not a phone number in E.164 format`);
  const { e164: to, country } = number;
  if (!rules.destinationAllowed(country)) {
    return skip(
      to,
      'destination_not_allowed',
      `${to} is in ${country ?? 'no known country'}, not an allowed destination`,
    );
  }
  if (rules.optedOut.has(to)) return skip(to, 'opted_out', `${to} opted out of messages from this number`);
  if (rules.respectQuietHours && !(country && COUNTRY_ZONES[country])) {
    return skip(to, 'quiet_hours_unsupported_country', `Quiet hours are not known for the country of ${to}`);
  }
  const missing = rules.placeholders.filter((name) => variables?.[name] === undefined);
  if (missing.length > 0) return skip(to, 'missing_variable', `No value for ${missing.join(', ')}`);
  const body = fillPlaceholders(rules.template, (name) => variables?.[name] ?? '');
  if (body.trim().length === 0) return skip(to, 'message_empty', 'The rendered message is empty');
  if (body.length > SMS_MAX_LENGTH) {
    return skip(
      to,
      'message_too_long',
      `The rendered message is ${body.length} characters; the limit is ${SMS_MAX_LENGTH}`,
    );
  }
  const info = countSegments(body);
  return {
    ...base,
    to,
    skip: null,
    country: country ?? null,
    body,
    segments: info.segments,
    encoding: info.encoding,
    cost: estimateCost(to, info.segments),
  };
}
