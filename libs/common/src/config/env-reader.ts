export type Env = Record<string, string | undefined>;

/**
 * Reads environment variables and collects every problem instead of throwing
 * at the first one, so that an operator sees all bad variables in one error:
 *
 *   const r = new EnvReader(env);
 *   const cfg = { port: r.int('PORT', 3000, 0, 65535), url: r.url('X_URL', 'http://a', ['http:']) };
 *   return r.done(cfg); // throws "Invalid environment:\n  - ...\n  - ..." when anything was bad
 *
 * Every reader returns its fallback for a bad value so reading goes on.
 * An empty variable counts as unset.
 */
export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env = process.env) {}

  /** A required string (no fallback) or one with a default. */
  str(name: string, fallback?: string): string {
    const v = this.optional(name);
    if (v === undefined) {
      if (fallback === undefined) this.problem(`${name} is required`);
      return fallback ?? '';
    }
    return v;
  }

  optional(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? undefined : v;
  }

  /** An integer in [min, max]; without `max` only the lower bound applies. */
  int(name: string, fallback: number, min: number, max?: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || (max !== undefined && n > max)) {
      this.problem(`${name} must be ${intRange(min, max)} (got "${raw}")`);
      return fallback;
    }
    return n;
  }

  /** Comma-separated integers, each in [min, max], at most `maxItems` of them. */
  intList(name: string, fallback: number[], min: number, max: number, maxItems: number): number[] {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const parts = raw.split(',').map((p) => Number(p.trim()));
    if (parts.length > maxItems || parts.some((n) => !Number.isInteger(n) || n < min || n > max)) {
      this.problem(
        `${name} must be up to ${maxItems} comma-separated integers, each ${min} to ${max} (got "${raw}")`,
      );
      return fallback;
    }
    return parts;
  }

  /** A URL with one of `protocols` (e.g. `['http:', 'https:']`), trailing slashes removed. */
  url(name: string, fallback: string | undefined, protocols: string[]): string {
    const v = fallback === undefined ? this.optional(name) : this.str(name, fallback);
    if (v === undefined) return '';
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) {
        this.problem(`${name} must use ${protocols.join(' or ')} (got "${u.protocol}")`);
      }
    } catch {
      this.problem(`${name} is not a valid URL`);
    }
    return v.replace(/\/+$/, '');
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const v = (this.env[name] ?? fallback) as T;
    if (!allowed.includes(v)) {
      this.problem(`${name} must be one of ${allowed.join(', ')} (got "${v}")`);
      return fallback;
    }
    return v;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.optional(name);
    if (v === undefined) return fallback;
    if (['1', 'true', 'yes'].includes(v.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(v.toLowerCase())) return false;
    this.problem(`${name} must be true or false (got "${v}")`);
    return fallback;
  }

  /** Records a problem found by the caller (a rule across variables, a custom format). */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Returns `value`, or throws one error listing every problem recorded. */
  done<T>(value: T): T {
    if (this.problems.length > 0) {
      throw new Error(`Invalid environment:\n  - ${this.problems.join('\n  - ')}`);
    }
    return value;
  }
}

function intRange(min: number, max: number | undefined): string {
  return max === undefined ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
}
