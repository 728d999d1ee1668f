/**
 * `{{name}}` placeholders, as post-call SMS templates and campaign messages
 * write them (spaces inside the braces allowed). Pure.
 */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholder names of `template`, each once, in order of first use. */
export function placeholdersOf(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (!names.includes(match[1])) names.push(match[1]);
  }
  return names;
}

/** `template` with each placeholder replaced by `valueOf(name)`. */
export function fillPlaceholders(template: string, valueOf: (name: string) => string): string {
  return template.replace(PLACEHOLDER, (_m, name: string) => valueOf(name));
}
