/**
 * The TCP fields the flow engine fills (`tcp.stream`, relative `tcp.seq`/`tcp.ack`,
 * `tcp.analysis.*`, `tcp.time_*`, expert fields), registered once with Wireshark's names, and
 * the `tcpAnalysisHook` that puts them into the TCP tree from the packet's {@link TcpNote}.
 *
 * Items appear where tshark puts them: stream and segment length after the ports, relative
 * numbers instead of the raw ones, the scaled window after the window field, and the
 * timestamps and SEQ/ACK analysis at the end. The flags that are expert items in Wireshark
 * (`tcp.analysis.retransmission`…) are items here too, so `-e tcp.analysis.retransmission`
 * prints what tshark prints.
 *
 * Note on types: Wireshark's analysis flags are FT_NONE fields, which tshark's `-T fields`
 * prints as `1`. They are declared `bool` (value true) so the field text is `1` here as well.
 */
import { tcpAnalysisHook, tcpFields } from '../decode/tcp.js';
import type { Packet } from '../decode/packet.js';
import { defineFields, textItem, type FieldDef } from '../fields/field.js';
import { anchorExperts, type Sink } from '../fields/sink.js';
import { GENERATED, HIDDEN } from '../fields/value.js';
import { expertKinds, Expert } from './expert.js';
import {
  A_ACK_LOST_PACKET, A_DUPLICATE_ACK, A_FAST_RETRANSMISSION, A_KEEP_ALIVE, A_KEEP_ALIVE_ACK, A_LOST_PACKET,
  A_OUT_OF_ORDER, A_RETRANSMISSION, A_REUSED_PORTS, A_SPURIOUS_RETRANSMISSION, A_WINDOW_FULL, A_WINDOW_UPDATE,
  A_ZERO_WINDOW, A_ZERO_WINDOW_PROBE, A_ZERO_WINDOW_PROBE_ACK, pairText, TcpNote, TH_ACK, TH_FIN, TH_RST, TH_SYN,
} from './tcp-analysis.js';

const flag = (display: string) => ({ display, type: 'bool' as const, trueFalse: ['Yes', 'No'] as const, presence: true });

export const tcpFlowFields = defineFields('tcp', {
  stream: { display: 'Stream index', type: 'uint32', base: 'dec' },
  completeness: { display: 'Conversation completeness', type: 'uint8', base: 'dec' },
  seq: { display: 'Sequence Number', type: 'uint32', base: 'dec' },
  nxtseq: { display: 'Next Sequence Number', type: 'uint32', base: 'dec' },
  ack: { display: 'Acknowledgment Number', type: 'uint32', base: 'dec' },
  window_size: { display: 'Calculated window size', type: 'uint32', base: 'dec' },
  window_size_scalefactor: { display: 'Window size scaling factor', type: 'int32', base: 'dec' },
  time_relative: { display: 'Time since first frame in this TCP stream', type: 'reltime', unit: 'seconds' },
  time_delta: { display: 'Time since previous frame in this TCP stream', type: 'reltime', unit: 'seconds' },
  analysis: flag('SEQ/ACK analysis'),
  'analysis.flags': flag('TCP Analysis Flags'),
  'analysis.acks_frame': { display: 'This is an ACK to the segment in frame', type: 'framenum' },
  'analysis.ack_rtt': { display: 'The RTT to ACK the segment was', type: 'reltime', unit: 'seconds' },
  'analysis.initial_rtt': { display: 'iRTT', type: 'reltime', unit: 'seconds' },
  'analysis.bytes_in_flight': { display: 'Bytes in flight', type: 'uint32', base: 'dec' },
  'analysis.push_bytes_sent': { display: 'Bytes sent since last PSH flag', type: 'uint32', base: 'dec' },
  'analysis.duplicate_ack_num': { display: 'Duplicate ACK #', type: 'uint32', base: 'dec' },
  'analysis.duplicate_ack_frame': { display: 'Duplicate to the ACK in frame', type: 'framenum' },
  'options.sack.dsack_le': { display: 'TCP D-SACK Left Edge', type: 'uint32', base: 'dec' },
  'options.sack.dsack_re': { display: 'TCP D-SACK Right Edge', type: 'uint32', base: 'dec' },
});

/** One field per expert kind (`tcp.analysis.retransmission`, `tcp.connection.syn`…), by {@link Expert} code. */
export const expertFields: readonly FieldDef[] = expertKinds.map((k) => {
  const name = k.field;
  const defs = defineFields('tcp', { [name.slice(4)]: flag(k.text.replace(/ \(#%u\)|: server port %u/, '')) });
  return Object.values(defs)[0];
});

const analysisBits: Array<[number, Expert]> = [
  [A_REUSED_PORTS, Expert.ReusedPorts],
  [A_RETRANSMISSION, Expert.Retransmission],
  [A_FAST_RETRANSMISSION, Expert.FastRetransmission],
  [A_SPURIOUS_RETRANSMISSION, Expert.SpuriousRetransmission],
  [A_OUT_OF_ORDER, Expert.OutOfOrder],
  [A_LOST_PACKET, Expert.LostSegment],
  [A_ACK_LOST_PACKET, Expert.AckLostSegment],
  [A_WINDOW_UPDATE, Expert.WindowUpdate],
  [A_WINDOW_FULL, Expert.WindowFull],
  [A_KEEP_ALIVE, Expert.KeepAlive],
  [A_KEEP_ALIVE_ACK, Expert.KeepAliveAck],
  [A_ZERO_WINDOW_PROBE, Expert.ZeroWindowProbe],
  [A_ZERO_WINDOW, Expert.ZeroWindow],
  [A_ZERO_WINDOW_PROBE_ACK, Expert.ZeroWindowProbeAck],
];

const completenessNames: Array<[number, string]> = [[0x20, 'RST'], [0x10, 'FIN'], [0x08, 'DATA'], [0x04, 'ACK'], [0x02, 'SYN-ACK'], [0x01, 'SYN']];

/** tshark's text for `tcp.completeness` (conversation_completeness_fill). */
function completenessText(v: number): string {
  switch (v) {
    case 0x01: return 'Incomplete, SYN_SENT (1)';
    case 0x03: return 'Incomplete, CLIENT_ESTABLISHED (3)';
    case 0x07: return 'Incomplete, ESTABLISHED (7)';
    case 0x0f: return 'Incomplete, DATA (15)';
    case 0x1f: case 0x3f: return `Complete, WITH_DATA (${v})`;
    case 0x17: case 0x37: return `Complete, NO_DATA (${v})`;
    default: {
      const parts = completenessNames.filter(([bit]) => v & bit).map(([, n]) => n);
      return `Incomplete (${v})${parts.length ? ` [${parts.join(', ')}]` : ''}`;
    }
  }
}

/**
 * A relative time as a field value: integer nanoseconds when exact as a number (every sane
 * capture), else seconds and nanoseconds.
 */
function timeValue(sec: number, nsec: number): number | { sec: number; nsec: number } {
  const ns = sec * 1e9 + nsec;
  return Number.isSafeInteger(ns) ? ns : { sec, nsec };
}

function addFlag(s: Sink, f: FieldDef, b: Uint8Array, o: number, label: string | undefined): void {
  s.add(f, b, o, 0, true, GENERATED, label);
}

/**
 * An expert item's own field (`tcp.connection.syn`…): kept for filters and fields, hidden in the
 * tree, where Wireshark shows it only inside the item's expert subtree.
 */
function addExpertField(s: Sink, f: FieldDef, b: Uint8Array, o: number): void {
  s.add(f, b, o, 0, true, GENERATED | HIDDEN);
}

/** The hook body; exported for tests. */
export function tcpTree(p: Packet, layer: number, s: Sink, at: 'ports' | 'seq' | 'window' | 'end'): boolean {
  const n = p.flow;
  if (!(n instanceof TcpNote) || !n.valid || p.transportLayer !== layer) return false;
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  const F = tcpFlowFields;
  const L = s.wantsLabels;
  switch (at) {
    case 'ports':
      s.add(F.stream, b, o, 0, n.stream, GENERATED);
      s.add(F.completeness, b, o, 0, n.completeness, GENERATED, L ? `[Conversation completeness: ${completenessText(n.completeness)}]` : undefined);
      if (n.haveSeglen) s.add(tcpFields.len, b, o + 12, 1, n.len, GENERATED);
      return true;
    case 'seq': {
      const rel = n.haveSeglen;
      s.add(F.seq, b, o + 4, 4, n.seq, 0, L ? `Sequence Number: ${n.seq}${rel ? '    (relative sequence number)' : ''}` : undefined);
      if (!n.quotedV4) s.add(tcpFields.seq_raw, b, o + 4, 4, n.seqRaw);
      if (rel) s.add(F.nxtseq, b, o, 0, n.nxtseq, GENERATED, L ? `[Next Sequence Number: ${n.nxtseq}    (relative sequence number)]` : undefined);
      const hasAck = (n.flags & TH_ACK) !== 0;
      s.add(F.ack, b, o + 8, 4, n.ack, 0, L ? `Acknowledgment Number: ${n.ack}${hasAck && rel ? '    (relative ack number)' : ''}` : undefined);
      s.add(tcpFields.ack_raw, b, o + 8, 4, n.ackRaw);
      anchorExperts(s, p, layer, 'tcp.ack.nonzero');
      return true;
    }
    case 'window':
      s.add(F.window_size, b, o + 14, 2, n.window, GENERATED);
      if (!Number.isNaN(n.scaleFactor)) {
        const sf = n.scaleFactor;
        const text = sf === -1 ? '-1 (unknown)' : sf === -2 ? '-2 (no window scaling used)' : String(sf);
        s.add(F.window_size_scalefactor, b, o + 14, 2, sf, GENERATED, L ? `[Window size scaling factor: ${text}]` : undefined);
      }
      return true;
    case 'end':
      treeEnd(p, layer, n, b, o, s, L);
      return true;
  }
}

function treeEnd(p: Packet, layer: number, n: TcpNote, b: Uint8Array, o: number, s: Sink, L: boolean): void {
  const F = tcpFlowFields;
  const E = expertFields;
  const fl = n.flags;
  // Connection and header remarks (expert fields of the header items).
  if (n.ackNonzero) addExpertField(s, E[Expert.AckNonzero], b, o);
  if (fl & TH_RST) addExpertField(s, E[Expert.Rst], b, o);
  if (fl & TH_SYN) addExpertField(s, E[fl & TH_ACK ? Expert.SynAck : Expert.Syn], b, o);
  if (fl & TH_FIN) {
    addExpertField(s, E[Expert.Fin], b, o);
    addExpertField(s, E[n.finRole === 1 ? Expert.FinActive : Expert.FinPassive], b, o);
  }
  if (n.urgentNonzero) addExpertField(s, E[Expert.UrgentNonzero], b, o);
  if (n.nopRun) addExpertField(s, E[Expert.Nop], b, o);
  if (n.eolPadding) addExpertField(s, E[Expert.NonZeroPadding], b, o);
  if (n.wscaleInvalid) addExpertField(s, E[Expert.WscaleInvalid], b, o);
  if (n.dsack) {
    s.add(F['options.sack.dsack_le'], b, o, 0, n.dsackLeft, GENERATED, L ? `[D-SACK Left Edge = ${n.dsackLeft} (relative)]` : undefined);
    s.add(F['options.sack.dsack_re'], b, o, 0, n.dsackRight, GENERATED, L ? `[D-SACK Right Edge = ${n.dsackRight} (relative)]` : undefined);
    addExpertField(s, E[Expert.Dsack], b, o);
  }
  if (n.mssAbsent) addExpertField(s, E[Expert.MssAbsent], b, o);
  if (n.mssPresent) addExpertField(s, E[Expert.MssPresent], b, o);
  // Timestamps relative to the stream (not when a snaplen cut stopped tshark before them).
  if (n.cut === 1) return;
  s.add(textItem, b, o, 0, null, GENERATED, L ? '[Timestamps]' : undefined);
  s.push();
  s.add(F.time_relative, b, o, 0, timeValue(n.relSec, n.relNsec), GENERATED, L ? `[Time since first frame in this TCP stream: ${pairText(n.relSec, n.relNsec)} seconds]` : undefined);
  s.add(F.time_delta, b, o, 0, timeValue(n.deltaSec, n.deltaNsec), GENERATED, L ? `[Time since previous frame in this TCP stream: ${pairText(n.deltaSec, n.deltaNsec)} seconds]` : undefined);
  s.pop();
  if (!n.hasTa || n.cut) return;
  addFlag(s, F.analysis, b, o, L ? '[SEQ/ACK analysis]' : undefined);
  s.push();
  if (n.acksFrame) {
    s.add(F['analysis.acks_frame'], b, o, 0, n.acksFrame, GENERATED);
    if (n.rttSec || n.rttNsec) s.add(F['analysis.ack_rtt'], b, o, 0, timeValue(n.rttSec, n.rttNsec), GENERATED, L ? `[The RTT to ACK the segment was: ${pairText(n.rttSec, n.rttNsec)} seconds]` : undefined);
  }
  if (n.irttSec || n.irttNsec) s.add(F['analysis.initial_rtt'], b, o, 0, timeValue(n.irttSec, n.irttNsec), GENERATED, L ? `[iRTT: ${pairText(n.irttSec, n.irttNsec)} seconds]` : undefined);
  if (n.bytesInFlight) {
    s.add(F['analysis.bytes_in_flight'], b, o, 0, n.bytesInFlight, GENERATED);
    s.add(F['analysis.push_bytes_sent'], b, o, 0, n.pushBytesSent, GENERATED);
  }
  const a = n.analysis;
  if (a) {
    addFlag(s, F['analysis.flags'], b, o, L ? '[TCP Analysis Flags]' : undefined);
    s.push();
    for (const [bit, code] of analysisBits) {
      if (!(a & bit)) continue;
      addExpertField(s, E[code], b, o);
      // Fast and spurious retransmissions are retransmissions too (tshark adds both items).
      if (code === Expert.FastRetransmission || code === Expert.SpuriousRetransmission) addExpertField(s, E[Expert.Retransmission], b, o);
    }
    if (a & A_DUPLICATE_ACK) addFlag(s, E[Expert.DuplicateAck], b, o, L ? '[This is a TCP duplicate ack]' : undefined);
    s.pop();
    // Wireshark shows the analysis remarks only as expert items under the flags item (the last one added again).
    for (const [bit, code] of analysisBits) {
      if (!(a & bit)) continue;
      anchorExperts(s, p, layer, expertKinds[code].field);
      if (code === Expert.FastRetransmission || code === Expert.SpuriousRetransmission) anchorExperts(s, p, layer, expertKinds[Expert.Retransmission].field);
    }
    if (n.dupackNum) {
      s.add(F['analysis.duplicate_ack_num'], b, o, 0, n.dupackNum, GENERATED);
      s.add(F['analysis.duplicate_ack_frame'], b, o, 0, n.dupackFrame, GENERATED);
      anchorExperts(s, p, layer, 'tcp.analysis.duplicate_ack');
      if (a & A_DUPLICATE_ACK) addExpertField(s, E[Expert.DuplicateAck], b, o);
    }
  }
  s.pop();
}

tcpAnalysisHook.fn = tcpTree;
tcpAnalysisHook.numbers = (p, layer) => {
  const n = p.flow;
  return n instanceof TcpNote && n.valid && p.transportLayer === layer ? { seq: n.seq, ack: n.ack } : undefined;
};
