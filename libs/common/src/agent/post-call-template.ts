/**
 * The post-call SMS template (`post_call_sms_template` on an agent, and its
 * per-number override): `{{variable}}` placeholders from a fixed list. Pure,
 * so numbers (refusing a template when it is saved) and voice (rendering it
 * after a call) agree on what a variable is.
 */
import { fillPlaceholders, placeholdersOf } from '../template';

export const POST_CALL_TEMPLATE_VARIABLES = [
  'business_name',
  'agent_name',
  'caller_number',
  'call_summary',
  'booking_time',
  'booking_link',
] as const;
export type PostCallTemplateVariable = (typeof POST_CALL_TEMPLATE_VARIABLES)[number];
export type PostCallTemplateValues = Partial<Record<PostCallTemplateVariable, string | null>>;

/** The placeholders of `template` that are not known variables, each once, in order. */
export function unknownTemplateVariables(template: string): string[] {
  const known = new Set<string>(POST_CALL_TEMPLATE_VARIABLES);
  return placeholdersOf(template).filter((name) => !known.has(name));
}

/**
 * The template with every known variable filled; a missing value renders
 * empty, and the spaces an empty value leaves doubled are collapsed. Unknown
 * placeholders (refused on save; a template stored before that check) render
 * empty too, never as braces in a customer's SMS.
 */
export function renderPostCallTemplate(template: string, values: PostCallTemplateValues): string {
  const filled = fillPlaceholders(template, (name) => {
    const value = (values as Record<string, string | null | undefined>)[name];
    return value == null ? '' : value;
  });
  return filled
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/ +([,.!?;:])/g, '$1')
    .trim();
}
