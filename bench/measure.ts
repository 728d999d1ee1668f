/** Small measuring helpers shared by the benchmark's sections. */
import * as fs from 'node:fs';

/** The p-th percentile (nearest rank); NaN for no samples. */
export function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** A process's resident memory (VmRSS) in MiB; NaN without a pid. */
export function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return kb / 1024;
}
