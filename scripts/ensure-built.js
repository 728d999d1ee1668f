#!/usr/bin/env node
// Builds dist/ when it is missing or older than any source file (or always with --force;
// tsc's incremental build makes a no-op build take a few seconds). A failed build
// exits non-zero after tsc's own error list, with no stack trace of ours.
// (The production build is apps, libs and tools; `npm run bench` compiles bench/.)
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const marker = path.join(root, 'dist', '.tsbuildinfo');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

const force = process.argv.includes('--force');
const stale =
  force ||
  !fs.existsSync(marker) ||
  ['apps', 'libs', 'tools'].some(
    (d) =>
      fs.existsSync(path.join(root, d)) && newestSource(path.join(root, d)) > fs.statSync(marker).mtimeMs,
  );
if (stale) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(
      r.error
        ? `build failed: ${r.error.message} (is npm on PATH? run npm ci first)\n`
        : 'build failed: fix the TypeScript errors above, then try again\n',
    );
    process.exit(r.status || 1);
  }
}
