// Issue 3: the connections engine — full TCP analysis + conversations + expert items in one
// pass (bench/flows-pass.mjs, the code behind `wiresage conv` and `wiresage expert`) on the
// generated 1M-packet file, against `tshark -q -z expert` and `tshark -q -z conv,tcp` on the
// same file in the same run; peak memory on a 5M-packet file.
// Issue 4: the same pass with the application dissectors and their per-connection state
// (`flows-pass.mjs --app`, what `wiresage conv` runs), target >= 0.8M pkt/s.
// Runs alone too: `node bench/cases/flows.mjs [--quick] [--no-5m]` (--quick: a 200k-packet file,
// one run each, no 5M file).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { best, fileMB, generated, measure, packetCount, report, root } from '../lib.mjs';

const pass = join(root, 'bench', 'flows-pass.mjs');

export async function run({ quick = false, big = true } = {}) {
  const node = process.execPath;
  const file = generated(quick ? 200_000 : 1_000_000, 1);
  const packets = packetCount(file);
  const mb = fileMB(file);
  const ours = best(quick ? 1 : 3, () => measure(node, [pass, file]));
  const expert = measure('tshark', ['-n', '-r', file, '-q', '-z', 'expert'], { env: { LC_ALL: 'C' } });
  const conv = measure('tshark', ['-n', '-r', file, '-q', '-z', 'conv,tcp'], { env: { LC_ALL: 'C' } });
  report({
    name: `flows: TCP analysis + conversations + expert in one pass, ${packets} packets`,
    packets, mb, ours, anchor: expert, anchorName: 'tshark -q -z expert', target: '>= 1M pkt/s, >= 10x tshark',
  });
  report({
    name: `flows: same pass vs tshark -q -z conv,tcp, ${packets} packets`,
    packets, mb, ours, anchor: conv, anchorName: 'tshark -q -z conv,tcp', target: '>= 10x tshark',
  });
  const withApp = best(quick ? 1 : 3, () => measure(node, [pass, file, '--app']));
  report({
    name: `flows + application dissectors (TNS/MySQL/PG/Redis/DNS/HTTP/TLS, per-connection state), ${packets} packets`,
    packets, mb, ours: withApp, anchor: expert, anchorName: 'tshark -q -z expert', target: '>= 0.8M pkt/s',
  });
  if (big && !quick) {
    const file5 = generated(5_000_000, 1);
    const packets5 = packetCount(file5);
    const ours5 = measure(node, [pass, file5]);
    report({
      name: `flows: same pass on ${packets5} packets (memory bound)`,
      packets: packets5, mb: fileMB(file5), ours: ours5, target: 'peak < 300 MB',
      note: `peak memory ${ours5.rssMB.toFixed(0)} MB ${ours5.rssMB < 300 ? '(within' : '(OVER'} the 300 MB target)`,
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run({ quick: process.argv.includes('--quick'), big: !process.argv.includes('--no-5m') });
}
