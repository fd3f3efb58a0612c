/**
 * `udp.stream`: the UDP conversation index, numbered in first-seen order by the flow engine
 * (src/flows/engine.ts) exactly as tshark numbers them, and added to the UDP tree through
 * `udpStreamHook` from the packet's {@link UdpNote}.
 */
import { udpStreamHook } from '../decode/udp.js';
import type { Packet } from '../decode/packet.js';
import { defineFields } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED } from '../fields/value.js';
import { UdpNote } from './engine.js';

export const udpFlowFields = defineFields('udp', {
  stream: { display: 'Stream index', type: 'uint32', base: 'dec' },
});

/** The hook body; exported for tests. */
export function udpTree(p: Packet, layer: number, s: Sink): void {
  const n = p.flow;
  if (!(n instanceof UdpNote) || !n.valid || p.transportLayer !== layer) return;
  const b = p.bufferOf(layer);
  s.add(udpFlowFields.stream, b, p.start[layer], 0, n.stream, GENERATED);
}

udpStreamHook.fn = udpTree;
