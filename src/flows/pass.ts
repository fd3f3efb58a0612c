/**
 * One pass over a capture as tshark makes it with `-Y FILTER` and a tap: every packet is
 * decoded and tracked by the flow engine (stream numbers, TCP analysis and application state
 * over ALL packets, so `tcp.analysis.*` filters see the flags a one-pass tshark run sees), and
 * the callback learns whether the packet matches the filter. The statistics commands (`conv`,
 * `expert`, `follow`) and the doctor's facts pass share it when a display filter is given.
 *
 * @example
 * const decoder = new Decoder();
 * const engine = new FlowEngine({ packetExperts: true });
 * await filteredPass(file, decoder, engine, filter, (p, matched) => { if (matched) count(p); });
 */
import { dissectorById } from '../decode/dissector.js';
import { raiseTreeExperts } from '../decode/expert.js';
import type { Decoder } from '../decode/decoder.js';
import type { Packet } from '../decode/packet.js';
import { openCapture } from '../file/open.js';
import type { CaptureRecord } from '../file/types.js';
import type { CompiledFilter } from '../filter/index.js';
import { protocolShortName, type FlowEngine } from './engine.js';
import type { ExpertTally } from './expert.js';

/** Return false from the callback to stop reading. */
export type PassCallback = (p: Packet, matched: boolean, r: CaptureRecord) => boolean | void;

/**
 * Reads `file` once: decode, engine (attached to the decoder, so application dissectors keep
 * state per connection), filter, callback; then `engine.finish()`.
 */
export async function filteredPass(file: string, decoder: Decoder, engine: FlowEngine, filter: CompiledFilter | undefined, each: PassCallback): Promise<void> {
  engine.attach(decoder);
  const reader = await openCapture(file);
  try {
    await reader.forEach((r) => {
      const p = decoder.decode(r);
      engine.packet(p);
      return each(p, !filter || filter.matches(p), r);
    });
  } finally {
    reader.close();
  }
  engine.finish();
}

/** Counts the expert items of a packet (engine `packetExperts`, dissectors', their trees'), as tshark's expert tap. */
export function tallyPacketExperts(tally: ExpertTally, p: Packet): void {
  raiseTreeExperts(p);
  // Items inside a packet quoted by an ICMP error are in its tree but not in Wireshark's expert tap.
  for (const e of p.experts) if (!p.isQuoted(e.layer)) tally.addItem(e, protocolShortName(dissectorById(p.proto[e.layer])?.protocol.name ?? ''), p.number);
}
