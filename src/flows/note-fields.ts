/**
 * The flow engine's per-packet results as tshark's `-T fields -E occurrence=a` text, straight
 * from the engine's notes (no detail tree): the differential tests use it to compare the fast
 * path (`engine.record`) with tshark on any capture, and `noteFieldText` documents, field by
 * field, how a TcpNote maps onto Wireshark's names.
 *
 * @example
 * engine.record(r);
 * noteFieldText(engine, 'tcp.stream'); // '3', or '' when the frame has no TCP
 */
import type { FlowEngine } from './engine.js';
import {
  A_ACK_LOST_PACKET, A_DUPLICATE_ACK, A_FAST_RETRANSMISSION, A_KEEP_ALIVE, A_KEEP_ALIVE_ACK, A_LOST_PACKET,
  A_OUT_OF_ORDER, A_RETRANSMISSION, A_REUSED_PORTS, A_SPURIOUS_RETRANSMISSION, A_WINDOW_FULL, A_WINDOW_UPDATE,
  A_ZERO_WINDOW, A_ZERO_WINDOW_PROBE, A_ZERO_WINDOW_PROBE_ACK, pairText, TH_ACK, TH_FIN, TH_RST, TH_SYN, type TcpNote,
} from './tcp-analysis.js';

/** Fields this module can produce. */
export const noteFieldNames = [
  'tcp.stream', 'udp.stream', 'tcp.completeness', 'tcp.seq', 'tcp.seq_raw', 'tcp.ack', 'tcp.ack_raw', 'tcp.nxtseq', 'tcp.len',
  'tcp.window_size', 'tcp.window_size_scalefactor', 'tcp.time_relative', 'tcp.time_delta',
  'tcp.analysis.acks_frame', 'tcp.analysis.ack_rtt', 'tcp.analysis.initial_rtt', 'tcp.analysis.bytes_in_flight',
  'tcp.analysis.push_bytes_sent', 'tcp.analysis.duplicate_ack_num', 'tcp.analysis.duplicate_ack_frame',
  'tcp.analysis.retransmission', 'tcp.analysis.fast_retransmission', 'tcp.analysis.spurious_retransmission',
  'tcp.analysis.out_of_order', 'tcp.analysis.lost_segment', 'tcp.analysis.ack_lost_segment', 'tcp.analysis.duplicate_ack',
  'tcp.analysis.zero_window', 'tcp.analysis.zero_window_probe', 'tcp.analysis.zero_window_probe_ack',
  'tcp.analysis.window_full', 'tcp.analysis.window_update', 'tcp.analysis.keep_alive', 'tcp.analysis.keep_alive_ack',
  'tcp.analysis.reused_ports', 'tcp.options.sack.dsack', 'tcp.connection.syn', 'tcp.connection.synack',
  'tcp.connection.fin', 'tcp.connection.rst', 'tcp.connection.fin_active', 'tcp.connection.fin_passive',
] as const;

export type NoteField = (typeof noteFieldNames)[number];

const flagBits: Partial<Record<NoteField, number>> = {
  'tcp.analysis.retransmission': A_RETRANSMISSION,
  'tcp.analysis.fast_retransmission': A_FAST_RETRANSMISSION,
  'tcp.analysis.spurious_retransmission': A_SPURIOUS_RETRANSMISSION,
  'tcp.analysis.out_of_order': A_OUT_OF_ORDER,
  'tcp.analysis.lost_segment': A_LOST_PACKET,
  'tcp.analysis.ack_lost_segment': A_ACK_LOST_PACKET,
  'tcp.analysis.zero_window': A_ZERO_WINDOW,
  'tcp.analysis.zero_window_probe': A_ZERO_WINDOW_PROBE,
  'tcp.analysis.zero_window_probe_ack': A_ZERO_WINDOW_PROBE_ACK,
  'tcp.analysis.window_full': A_WINDOW_FULL,
  'tcp.analysis.window_update': A_WINDOW_UPDATE,
  'tcp.analysis.keep_alive': A_KEEP_ALIVE,
  'tcp.analysis.keep_alive_ack': A_KEEP_ALIVE_ACK,
  'tcp.analysis.reused_ports': A_REUSED_PORTS,
};

function tcpText(n: TcpNote, f: NoteField): string {
  // A snaplen cut inside the header stops tshark before the analysis (and, earlier, the timestamps).
  const ta = n.hasTa && n.cut === 0;
  const a = ta ? n.analysis : 0;
  switch (f) {
    case 'tcp.stream': return String(n.stream);
    case 'tcp.completeness': return String(n.completeness);
    case 'tcp.seq': return String(n.seq);
    case 'tcp.seq_raw': return n.quotedV4 ? '' : String(n.seqRaw);
    case 'tcp.ack': return String(n.ack);
    case 'tcp.ack_raw': return String(n.ackRaw);
    case 'tcp.nxtseq': return n.haveSeglen ? String(n.nxtseq) : '';
    case 'tcp.len': return n.haveSeglen ? String(n.len) : '';
    case 'tcp.window_size': return String(n.window);
    case 'tcp.window_size_scalefactor': return Number.isNaN(n.scaleFactor) ? '' : String(n.scaleFactor);
    case 'tcp.time_relative': return n.cut === 1 ? '' : pairText(n.relSec, n.relNsec);
    case 'tcp.time_delta': return n.cut === 1 ? '' : pairText(n.deltaSec, n.deltaNsec);
    case 'tcp.analysis.acks_frame': return ta && n.acksFrame ? String(n.acksFrame) : '';
    case 'tcp.analysis.ack_rtt': return ta && n.acksFrame && (n.rttSec || n.rttNsec) ? pairText(n.rttSec, n.rttNsec) : '';
    case 'tcp.analysis.initial_rtt': return ta && (n.irttSec || n.irttNsec) ? pairText(n.irttSec, n.irttNsec) : '';
    case 'tcp.analysis.bytes_in_flight': return ta && n.bytesInFlight ? String(n.bytesInFlight) : '';
    case 'tcp.analysis.push_bytes_sent': return ta && n.bytesInFlight ? String(n.pushBytesSent) : '';
    case 'tcp.analysis.duplicate_ack_num': return a && n.dupackNum ? String(n.dupackNum) : '';
    case 'tcp.analysis.duplicate_ack_frame': return a && n.dupackNum ? String(n.dupackFrame) : '';
    case 'tcp.analysis.duplicate_ack': return a & A_DUPLICATE_ACK ? '1,1' : '';
    case 'tcp.options.sack.dsack': return n.dsack ? '1' : '';
    case 'tcp.connection.syn': return (n.flags & (TH_SYN | TH_ACK)) === TH_SYN ? '1' : '';
    case 'tcp.connection.synack': return (n.flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK) ? '1' : '';
    case 'tcp.connection.fin': return n.flags & TH_FIN ? '1' : '';
    case 'tcp.connection.rst': return n.flags & TH_RST ? '1' : '';
    case 'tcp.connection.fin_active': return n.flags & TH_FIN && n.finRole === 1 ? '1' : '';
    case 'tcp.connection.fin_passive': return n.flags & TH_FIN && n.finRole === 2 ? '1' : '';
    case 'tcp.analysis.retransmission':
      // Fast and spurious retransmissions also carry the plain retransmission item.
      return a & (A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION) ? '1' : '';
    default: {
      const bit = flagBits[f];
      return bit !== undefined && a & bit ? '1' : '';
    }
  }
}

/** The field's text for the packet the engine just processed ('' when absent). */
export function noteFieldText(engine: FlowEngine, f: NoteField): string {
  if (f === 'udp.stream') {
    const u = engine.udpNote;
    if (!u.valid) return '';
    if (u.count <= 1) return String(u.stream);
    return Array.from(u.streams.subarray(0, u.count)).join(',');
  }
  const n = engine.tcpNote;
  return n.valid ? tcpText(n, f) : '';
}
