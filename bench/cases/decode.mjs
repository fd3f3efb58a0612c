// Issue 2: the L2–L4 decode pass and `-T fields` against tcpdump and tshark.
import { best, cli, fileMB, generated, measure, packetCount, report } from '../lib.mjs';

export async function run({ quick }) {
  const file = generated(1_000_000, 1);
  const packets = packetCount(file);
  const mb = fileMB(file);
  const node = process.execPath;

  const decode = best(quick ? 1 : 3, () => measure(node, [cli, 'read', '--count', file]));
  const tcpdump = best(1, () => measure('tcpdump', ['-nr', file]));
  report({
    name: `L2–L4 decode pass (wiresage read --count) vs tcpdump -nr, ${packets} packets`,
    packets, mb, ours: decode, anchor: tcpdump, anchorName: 'tcpdump -nr', target: '>= 1.5M pkt/s, < 150 MB',
  });

  const fields = ['-e', 'frame.number', '-e', 'ip.src', '-e', 'tcp.srcport'];
  const ours = best(quick ? 1 : 2, () => measure(node, [cli, 'read', '-T', 'fields', ...fields, file]));
  const tshark = measure('tshark', ['-n', '-r', file, '-T', 'fields', ...fields]);
  report({
    name: `-T fields -e frame.number -e ip.src -e tcp.srcport, ${packets} packets`,
    packets, mb, ours, anchor: tshark, anchorName: 'tshark', target: '>= 10x',
  });
}
