/**
 * Wireshark's `_ws.*` pseudo-fields: the marks a packet carries when it was cut by the
 * snaplen (`_ws.short`), lies about its own length (`_ws.malformed`), or has expert items.
 */
import { defineFields } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { dissectorById } from './dissector.js';
import { GENERATED } from '../fields/value.js';
import type { ExpertItem, Packet } from './packet.js';

export const wsFields = defineFields('_ws', {
  short: { display: 'Short Frame', type: 'protocol' },
  malformed: { display: 'Malformed Packet', type: 'protocol' },
  expert: { display: 'Expert Info', type: 'protocol' },
  'expert.message': { display: 'Message', type: 'string' },
  'expert.severity': { display: 'Severity level', type: 'uint32', base: 'hex', values: { 0x200000: 'Chat', 0x400000: 'Note', 0x600000: 'Warning', 0x800000: 'Error' } },
  'expert.group': { display: 'Group', type: 'uint32', base: 'hex' },
});

const severityValue = { chat: 0x200000, note: 0x400000, warn: 0x600000, error: 0x800000 } as const;
const severityName = { chat: 'Chat', note: 'Note', warn: 'Warning', error: 'Error' } as const;
const groupValue: Record<ExpertItem['group'], number> = {
  checksum: 0x01000000, sequence: 0x02000000, response: 0x03000000, request: 0x04000000, undecoded: 0x05000000,
  reassemble: 0x06000000, malformed: 0x07000000, protocol: 0x09000000, security: 0x0a000000, comment: 0x0b000000,
};
const groupName: Record<ExpertItem['group'], string> = {
  checksum: 'Checksum', sequence: 'Sequence', response: 'Response', request: 'Request', undecoded: 'Undecoded',
  reassemble: 'Reassemble', malformed: 'Malformed', protocol: 'Protocol', security: 'Security', comment: 'Comment',
};

export function addExpert(e: ExpertItem, s: Sink, buf: Uint8Array): void {
  s.add(wsFields.expert, buf, 0, 0, null, GENERATED, s.wantsLabels ? `[Expert Info (${severityName[e.severity]}/${groupName[e.group]}): ${e.message}]` : undefined);
  s.push();
  // Labels as tshark -V: the message alone, severity and group by name.
  const L = s.wantsLabels;
  s.add(wsFields['expert.message'], buf, 0, 0, e.message, GENERATED, L ? `[${e.message}]` : undefined);
  s.add(wsFields['expert.severity'], buf, 0, 0, severityValue[e.severity], GENERATED, L ? `[Severity level: ${severityName[e.severity]}]` : undefined);
  s.add(wsFields['expert.group'], buf, 0, 0, groupValue[e.group], GENERATED, L ? `[Group: ${groupName[e.group]}]` : undefined);
  s.pop();
}

/** Adds the short/malformed marks of a packet at the end of its tree. */
export function addPacketMarks(p: Packet, s: Sink): void {
  if (p.truncated) {
    s.add(wsFields.short, p.data, 0, 0, null, GENERATED, s.wantsLabels ? `[Packet size limited during capture: ${p.problemLayer >= 0 ? 'truncated' : ''}]` : undefined);
  }
  if (p.malformed !== null) {
    s.add(wsFields.malformed, p.data, 0, 0, null, GENERATED, s.wantsLabels ? `[Malformed Packet: ${p.malformed}]` : undefined);
  }
}

/** A sink that keeps nothing: walks a layer's tree only for the expert items it raises. */
const discard: Sink = {
  wantsProtocol: () => false,
  wants: () => false,
  wantsLabels: false,
  add: () => {},
  push: () => {},
  pop: () => {},
};

/**
 * Raises the expert items some dissectors find only while building their tree (checksums they
 * check there, TTL and traceroute remarks), as Wireshark's taps see every item: for filters on
 * `_ws.expert*` and expert tallies. An item raised again later (by an output's tree walk) is kept once.
 */
export function raiseTreeExperts(p: Packet): void {
  for (let i = 0; i < p.layers; i++) {
    try {
      dissectorById(p.proto[i]).tree(p, i, discard);
    } catch {
      // A dissector bug: an output's tree walk marks the packet.
    }
  }
}
