#!/usr/bin/env node
// Builds dist/ when it is missing or older than any source file (or always with --force;
// tsc's incremental build makes a no-op build take a few seconds).
const { execSync } = require('node:child_process');
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
  ['apps', 'libs', 'tools', 'bench'].some(
    (d) =>
      fs.existsSync(path.join(root, d)) && newestSource(path.join(root, d)) > fs.statSync(marker).mtimeMs,
  );
if (stale) {
  execSync('npm run --silent build', { cwd: root, stdio: 'inherit' });
}
