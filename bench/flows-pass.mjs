#!/usr/bin/env node
// One full pass of the connections engine over a capture, as the conv and expert commands run
// it: the Decoder's walk up to the transport layers, TCP analysis of every segment,
// conversation summaries, expert tally; prints the conversation table and the expert table (to
// stdout) and engine counters (to stderr). `--app` also runs the application dissectors (TNS,
// MySQL, PostgreSQL, Redis, DNS, HTTP, TLS) with their per-connection state, as `wiresage conv`
// does for its Application column.
// Usage: node bench/flows-pass.mjs FILE [--app]   (build first: npx tsc -p tsconfig.json)
import { openCapture } from '../dist/file/open.js';
import { FlowEngine } from '../dist/flows/engine.js';
import { ExpertTally, expertText } from '../dist/flows/expert.js';
import { writeConvTable, rowOf, sortRows } from '../dist/cli/conv.js';
import { Output } from '../dist/cli/output.js';
import { Decoder } from '../dist/decode/decoder.js';
import { streamState } from '../dist/protocols/index.js';

const file = process.argv[2];
const app = process.argv.includes('--app');
if (!file) {
  process.stderr.write('usage: node bench/flows-pass.mjs FILE\n');
  process.exit(2);
}
const t0 = performance.now();
const tally = new ExpertTally();
const tcp = new Map();
// As `wiresage conv` (no display filter): the opaque bytes of reassembled PDUs are counted, not copied.
const decoder = app ? new Decoder({ elideOpaque: true }) : null;
const engine = new FlowEngine({
  experts: tally,
  onSummary: (s) => {
    if (decoder) {
      const st = streamState(s.proto, s.stream, decoder, true);
      if (st?.summary !== undefined) s.app = st.summary;
    }
    if (s.proto === 'tcp') tcp.set(s.stream, rowOf(s, tcp.get(s.stream), false));
  },
});
if (decoder) engine.attach(decoder);
const reader = await openCapture(file);
await reader.forEach(decoder ? (r) => engine.packet(decoder.decode(r)) : (r) => engine.record(r));
reader.close();
engine.finish();
// Written as the conv command writes it: a row at a time through the buffered Output.
const out = new Output();
writeConvTable((t) => out.write(t), 'TCP', sortRows([...tcp.values()], 'frames'), true, true);
out.write(expertText(tally.rows()));
out.flush();
const s = engine.stats;
const sec = (performance.now() - t0) / 1000;
process.stderr.write(JSON.stringify({ seconds: sec, packets: s.packets, pps: Math.round(s.packets / sec), tcpStreams: s.tcpStreams, udpStreams: s.udpStreams, peakLiveTcp: s.peakLiveTcp, peakLiveUdp: s.peakLiveUdp, decoded: s.decoded, released: s.released, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\n');
