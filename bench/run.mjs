#!/usr/bin/env node
// `npm run bench [-- --quick] [case ...]`: runs the benchmark cases in bench/cases, each comparing
// wiresage with tshark/tcpdump on the same generated input in one run, and prints the ratios.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { root, results } from './lib.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));
const dir = join(root, 'bench', 'cases');
for (const f of readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort()) {
  const name = f.replace(/\.mjs$/, '');
  if (only.length && !only.includes(name)) continue;
  console.log(`== ${name}`);
  const mod = await import(join(dir, f));
  await mod.run({ quick });
}
if (args.includes('--json')) console.log(JSON.stringify(results(), null, 2));
