/**
 * What a caller hears first (ConversationRelay's `welcomeGreeting`): the
 * number's `welcome_greeting`, else its agent's, else a default, with
 * `{{business_name}}` filled in. Pure, so TwiML and tests render it alike.
 */

export const BUSINESS_NAME_PLACEHOLDER = /\{\{\s*business_name\s*\}\}/g;

/** Longest business name taken from a profile's first line. */
const NAME_MAX = 80;

/**
 * The business a number answers as, from its BUSINESS PROFILE: a
 * `Business name:` (or `Name:` / `Business:`) line, else a short first line
 * ("Smile Dental Croydon"); null when the profile names none.
 */
export function businessNameOf(profile: string | null | undefined): string | null {
  if (!profile) return null;
  const lines = profile
    .split(/\r?\n/)
    .map((l) => l.replace(/[*_]+/g, '').trim())
    .filter(Boolean);
  for (const line of lines) {
    const m = /^(?:[-*]\s*)?(?:business\s*name|business|name)\s*[:=-]\s*(.+)$/i.exec(line);
    if (m) return tidy(m[1]);
  }
  const first = lines[0]?.replace(/^#+\s*/, '');
  if (first && first.length <= NAME_MAX && !/[.:?!]$/.test(first)) return tidy(first);
  return null;
}

function tidy(name: string): string | null {
  const t = name
    .replace(/\*+/g, '')
    .trim()
    .replace(/[.,;]+$/, '');
  return t.length > 0 && t.length <= NAME_MAX ? t : null;
}

export interface GreetingInput {
  /** The number's greeting, else its agent's (ResolvedNumber.welcome_greeting); null = default. */
  template: string | null;
  /** The number's business profile (or an outbound call's prompt). */
  businessProfile: string | null;
  agentName: string;
}

/**
 * The greeting to speak. `{{business_name}}` becomes the profile's business
 * name, else the agent's name. Without a greeting: "Hello, you've reached
 * <business>. How can I help you today?", or "Hello! How can I help you
 * today?" when the profile names no business.
 */
export function renderGreeting(input: GreetingInput): string {
  const name = businessNameOf(input.businessProfile);
  const template = input.template?.trim();
  if (!template) {
    return name
      ? `Hello, you've reached ${name}. How can I help you today?`
      : 'Hello! How can I help you today?';
  }
  return template.replace(BUSINESS_NAME_PLACEHOLDER, name ?? input.agentName);
}
