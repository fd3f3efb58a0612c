#!/usr/bin/env node
// Builds the project, then runs every compiled *.test.js with node's test runner.
// Usage: node scripts/test.mjs [substring ...]  (only test files whose path contains one of them)
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const only = process.argv.slice(2);
const files = find(join(root, 'dist')).filter((f) => !only.length || only.some((o) => f.includes(o))).sort();
if (!files.length) {
  console.error('no test files found');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit', cwd: root, env: { ...process.env, TZ: 'UTC' } });
process.exit(r.status ?? 1);
