import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A user's clone has nothing beside it: no file of the project may read or
 * link anything outside the repository. `.ci/run` also runs the whole suite
 * in a clone inside an empty temporary folder; this test names the offending
 * file and line at once.
 */
const ROOT = path.resolve(__dirname, '../..');

/** Spellings that only make sense on a developer's machine or beside the checkout. */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\.\.\/shared\b|\bshared\/(spec|twilio|calcom)\b|\bshared\/CONVENTIONS/, 'a folder beside the checkout'],
  // Not preceded by a host name or path segment, so URLs such as https://example.org/home/... pass.
  [/(^|[\s'"`(=:])\/(work|root|home\/[a-z][\w-]*|tmp\/[\w.-]+)\//, 'an absolute machine path'],
  [/\.library\b/, "the development machine's tool library"],
];

function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\0').filter((f) => f && fs.existsSync(path.join(ROOT, f)));
}

const isText = (file: string) => !/\.(png|jpe?g|gif|ico|woff2?)$/i.test(file);

describe('the repository is self-contained', () => {
  const files = trackedFiles().filter(isText);
  // This file spells the forbidden patterns; package-lock.json holds registry URLs only.
  const scanned = files.filter(
    (f) => f !== 'test/foundation/self-contained.e2e-spec.ts' && f !== 'package-lock.json',
  );

  it('tracks the files it scans', () => {
    expect(scanned.length).toBeGreaterThan(100);
    expect(scanned).toContain('tools/twilio-sandbox/openapi/twilio_api_v2010.json');
  });

  it('no tracked file names a path outside the repository', () => {
    const offences: string[] = [];
    for (const file of scanned) {
      const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
      lines.forEach((line, i) => {
        for (const [pattern, what] of FORBIDDEN) {
          if (pattern.test(line)) offences.push(`${file}:${i + 1}: ${what}: ${line.trim().slice(0, 120)}`);
        }
      });
    }
    expect(offences).toEqual([]);
  });

  it('every relative Markdown link resolves inside the repository to a file that exists', () => {
    const broken: string[] = [];
    for (const file of scanned.filter((f) => f.endsWith('.md'))) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      for (const match of text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
        const target = match[1];
        if (/^[a-z]+:/i.test(target)) continue;
        const resolved = path.resolve(ROOT, path.dirname(file), target);
        if (!resolved.startsWith(ROOT + path.sep) || !fs.existsSync(resolved))
          broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
