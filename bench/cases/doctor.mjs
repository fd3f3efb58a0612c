// Issue 8: `wiresage doctor` on the generated 1M-packet file against the full analysis pass
// (bench/flows-pass.mjs --app: decode, TCP analysis, conversations, expert, application
// dissectors with per-connection state — what `wiresage conv` runs) on the same file in the
// same run; target: within 1.3x, peak memory bounded as there. The transport-only pass is
// shown too. Then two 1M-packet captures compared packet by packet (src/diagnosis/compare.ts:
// index both, match by IP ID/seq/ack/payload hash), and the real `wiresage doctor A B` (each
// capture's facts pass in a worker thread, then the comparison): target under 2x the full
// analysis pass of one file by wall time. --quick uses the 100k-packet files.
// Runs alone too: `node bench/cases/doctor.mjs [--quick]`.

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { best, cli, fileMB, generated, measure, packetCount, report, root } from '../lib.mjs';

const pass = join(root, 'bench', 'flows-pass.mjs');
const self = join(root, 'bench', 'cases', 'doctor.mjs');

/** `wiresage doctor` exits 1 when it finds problems: only 2 and up are failures here. */
function doctor(files, env) {
  return measure('sh', ['-c', `"$0" "$@" >/dev/null; test $? -le 1`, process.execPath, cli, 'doctor', '--json', ...files], { env });
}

export async function run({ quick = false } = {}) {
  const node = process.execPath;
  const size = quick ? 100_000 : 1_000_000;
  const file = generated(size, 1);
  const other = generated(size, 2);
  const packets = packetCount(file);
  const mb = fileMB(file);
  const full = best(quick ? 1 : 3, () => measure(node, [pass, file, '--app']));
  const transport = best(1, () => measure(node, [pass, file]));
  const ours = best(quick ? 1 : 3, () => doctor([file]));
  report({
    name: `doctor: one capture, ${packets} packets, vs the full analysis pass (bench/flows-pass.mjs --app)`,
    packets, mb, ours, anchor: full, anchorName: 'full analysis pass', target: 'doctor within 1.3x of the pass',
    note: `doctor/pass = ${(ours.seconds / full.seconds).toFixed(2)}x wall, ${(ours.cpu / full.cpu).toFixed(2)}x CPU; peak ${ours.rssMB.toFixed(0)} MB vs ${full.rssMB.toFixed(0)} MB`
      + `; transport-only pass ${transport.cpu.toFixed(2)} s CPU (doctor ${(ours.cpu / transport.cpu).toFixed(2)}x)`,
  });
  const cmp = best(1, () => measure(node, [self, '--compare-pass', file, other]));
  report({
    name: `compare: two captures of ${packets} packets matched packet by packet (matchCaptures)`,
    packets: packets * 2, mb: mb + fileMB(other), ours: cmp, anchor: full, anchorName: 'full analysis pass of one file', target: 'under 2x the pass',
    note: `compare/pass = ${(cmp.seconds / full.seconds).toFixed(2)}x wall, ${(cmp.cpu / full.cpu).toFixed(2)}x CPU; peak ${cmp.rssMB.toFixed(0)} MB`,
  });
  // The real command: each capture's facts pass in its own worker thread (src/diagnosis/parallel.ts),
  // then the comparison; and the same command reading them one after the other for reference.
  const both = best(quick ? 1 : 3, () => doctor([file, other]));
  const serial = best(1, () => doctor([file, other], { WIRESAGE_WORKERS: '0' }));
  report({
    name: `doctor A B: both captures (facts of each in worker threads + comparison), ${packets * 2} packets`,
    packets: packets * 2, mb: mb + fileMB(other), ours: both, anchor: full, anchorName: 'full analysis pass of one file', target: 'doctor A B under 2x the pass by wall time',
    note: `doctor A B / pass = ${(both.seconds / full.seconds).toFixed(2)}x wall (target < 2x), ${(both.cpu / full.cpu).toFixed(2)}x CPU; peak ${both.rssMB.toFixed(0)} MB`
      + `; one thread (WIRESAGE_WORKERS=0): ${serial.seconds.toFixed(2)} s wall, ${serial.cpu.toFixed(2)} s CPU, peak ${serial.rssMB.toFixed(0)} MB = ${(serial.seconds / full.seconds).toFixed(2)}x`,
  });
}

if (process.argv[2] === '--compare-pass') {
  const { matchCaptures } = await import(pathToFileURL(join(root, 'dist', 'diagnosis', 'compare.js')).href);
  const r = await matchCaptures(process.argv[3], process.argv[4], { keepPairs: false });
  process.stderr.write(JSON.stringify({ matched: r.matchedCount, onlyA: r.onlyA.length, onlyB: r.onlyB.length, nat: r.nat.length, clockOffset: r.clockOffset }) + '\n');
} else if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run({ quick: process.argv.includes('--quick') });
}
