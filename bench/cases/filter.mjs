// Issue 4: display filters on the generated 1M-packet file.
// 1. `read -Y 'tcp.analysis.retransmission' -T fields -e frame.number` against the same tshark
//    command in the same run (target >= 20x): the filter needs the flow engine's analysis.
// 2. A simple header filter (`ip.src == … && tcp.port == 443`) against a bare decode pass
//    (`read -q`, the same pipeline without the filter): the filter's own cost, target < 30%.
// Runs alone too: `node bench/cases/filter.mjs [--quick]`.
import { pathToFileURL } from 'node:url';
import { best, cli, fileMB, generated, measure, packetCount, report } from '../lib.mjs';

export async function run({ quick = false } = {}) {
  const node = process.execPath;
  const file = generated(1_000_000, 1);
  const packets = packetCount(file);
  const mb = fileMB(file);

  const retrans = ['-Y', 'tcp.analysis.retransmission', '-T', 'fields', '-e', 'frame.number'];
  const ours = best(quick ? 1 : 3, () => measure(node, [cli, 'read', ...retrans, file]));
  const tshark = measure('tshark', ['-n', '-r', file, ...retrans], { env: { LC_ALL: 'C' } });
  report({
    name: `-Y tcp.analysis.retransmission -T fields -e frame.number, ${packets} packets`,
    packets, mb, ours, anchor: tshark, anchorName: 'tshark (same command)', target: '>= 20x',
  });

  // The most frequent client address of the generated traffic and the TLS port.
  const header = 'ip.src == 10.20.0.133 && tcp.port == 443';
  const bare = best(quick ? 1 : 3, () => measure(node, [cli, 'read', '-q', file]));
  const filtered = best(quick ? 1 : 3, () => measure(node, [cli, 'read', '-q', '-Y', header, file]));
  // CPU time: on a loaded machine wall time also counts other processes.
  const overhead = (filtered.cpu / bare.cpu - 1) * 100;
  report({
    name: `read -q -Y '${header}' vs read -q (bare decode pass), ${packets} packets`,
    packets, mb, ours: filtered, target: '< 30% over the bare pass',
    note: `bare pass ${bare.seconds.toFixed(2)} s (cpu ${bare.cpu.toFixed(2)} s); filter adds ${overhead.toFixed(1)}% CPU ${overhead < 30 ? '(within' : '(OVER'} the 30% target)`,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run({ quick: process.argv.includes('--quick') });
}
