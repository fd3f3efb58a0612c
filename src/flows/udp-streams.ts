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
  const n = p.udpFlow;
  if (!(n instanceof UdpNote) || !n.valid || p.isQuoted(layer)) return;
  // The engine numbered the frame's UDP headers in order (a tunnel's outer one first).
  let index = 0;
  for (let i = 1; i < layer; i++) if (p.proto[i] === p.proto[layer] && !p.isQuoted(i)) index++;
  if (index >= n.count) return;
  s.add(udpFlowFields.stream, p.bufferOf(layer), p.start[layer], 0, n.streams[index], GENERATED);
}

udpStreamHook.fn = udpTree;
