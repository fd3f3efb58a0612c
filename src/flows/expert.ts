/**
 * Expert information about connections: the TCP items Wireshark 4.0 raises (field, severity,
 * group and text exactly as tshark prints them), and a tally grouped by severity, group,
 * protocol and summary, as `tshark -q -z expert` shows it.
 *
 * The tally counts by numeric code (plus the number in the text, e.g. the server port or the
 * duplicate-ACK count), so counting a million items allocates nothing after the first of each
 * kind. Items from other dissectors (decoder `ExpertItem`s) are counted by their text.
 *
 * @example
 * const tally = new ExpertTally();
 * tally.add(Expert.Retransmission, 0, 1234);
 * expertText(tally); // "\nNotes (1)\n=============\n   Frequency      Group           Protocol  Summary\n ..."
 */
import type { ExpertGroup, ExpertItem, ExpertSeverity } from '../decode/packet.js';

export interface ExpertKind {
  /** Filter name of the expert field. */
  field: string;
  severity: ExpertSeverity;
  group: ExpertGroup;
  /** Summary text; `%u` is replaced by the item's number. */
  text: string;
}

/** Codes of the expert kinds the flow engine raises. */
export const enum Expert {
  Syn, SynAck, Fin, FinActive, FinPassive, Rst,
  AckNonzero, UrgentNonzero, MssAbsent, MssPresent, Nop, WscaleInvalid, Dsack,
  ReusedPorts, Retransmission, FastRetransmission, SpuriousRetransmission, OutOfOrder,
  LostSegment, AckLostSegment, WindowUpdate, WindowFull, KeepAlive, KeepAliveAck,
  DuplicateAck, ZeroWindowProbe, ZeroWindow, ZeroWindowProbeAck, NonZeroPadding,
}

/** Wireshark 4.0's TCP expert fields (packet-tcp.c `ei[]`), indexed by {@link Expert}. */
export const expertKinds: readonly ExpertKind[] = [
  { field: 'tcp.connection.syn', severity: 'chat', group: 'sequence', text: 'Connection establish request (SYN): server port %u' },
  { field: 'tcp.connection.synack', severity: 'chat', group: 'sequence', text: 'Connection establish acknowledge (SYN+ACK): server port %u' },
  { field: 'tcp.connection.fin', severity: 'chat', group: 'sequence', text: 'Connection finish (FIN)' },
  { field: 'tcp.connection.fin_active', severity: 'note', group: 'sequence', text: 'This frame initiates the connection closing' },
  { field: 'tcp.connection.fin_passive', severity: 'note', group: 'sequence', text: 'This frame undergoes the connection closing' },
  { field: 'tcp.connection.rst', severity: 'warn', group: 'sequence', text: 'Connection reset (RST)' },
  { field: 'tcp.ack.nonzero', severity: 'note', group: 'protocol', text: 'The acknowledgment number field is nonzero while the ACK flag is not set' },
  { field: 'tcp.urgent_pointer.non_zero', severity: 'note', group: 'protocol', text: 'The urgent pointer field is nonzero while the URG flag is not set' },
  { field: 'tcp.options.mss.absent', severity: 'note', group: 'protocol', text: 'The SYN packet does not contain a MSS option' },
  { field: 'tcp.options.mss.present', severity: 'warn', group: 'protocol', text: 'The non-SYN packet does contain a MSS option' },
  { field: 'tcp.nop', severity: 'warn', group: 'protocol', text: '4 NOP in a row - a router may have removed some options' },
  { field: 'tcp.options.wscale.shift.invalid', severity: 'warn', group: 'protocol', text: 'Window scale shift exceeds 14' },
  { field: 'tcp.options.sack.dsack', severity: 'warn', group: 'sequence', text: 'D-SACK Sequence' },
  { field: 'tcp.analysis.reused_ports', severity: 'note', group: 'sequence', text: 'A new tcp session is started with the same ports as an earlier session in this trace' },
  { field: 'tcp.analysis.retransmission', severity: 'note', group: 'sequence', text: 'This frame is a (suspected) retransmission' },
  { field: 'tcp.analysis.fast_retransmission', severity: 'note', group: 'sequence', text: 'This frame is a (suspected) fast retransmission' },
  { field: 'tcp.analysis.spurious_retransmission', severity: 'note', group: 'sequence', text: 'This frame is a (suspected) spurious retransmission' },
  { field: 'tcp.analysis.out_of_order', severity: 'warn', group: 'sequence', text: 'This frame is a (suspected) out-of-order segment' },
  { field: 'tcp.analysis.lost_segment', severity: 'warn', group: 'sequence', text: 'Previous segment(s) not captured (common at capture start)' },
  { field: 'tcp.analysis.ack_lost_segment', severity: 'warn', group: 'sequence', text: "ACKed segment that wasn't captured (common at capture start)" },
  { field: 'tcp.analysis.window_update', severity: 'chat', group: 'sequence', text: 'TCP window update' },
  { field: 'tcp.analysis.window_full', severity: 'warn', group: 'sequence', text: 'TCP window specified by the receiver is now completely full' },
  { field: 'tcp.analysis.keep_alive', severity: 'note', group: 'sequence', text: 'TCP keep-alive segment' },
  { field: 'tcp.analysis.keep_alive_ack', severity: 'note', group: 'sequence', text: 'ACK to a TCP keep-alive segment' },
  { field: 'tcp.analysis.duplicate_ack', severity: 'note', group: 'sequence', text: 'Duplicate ACK (#%u)' },
  { field: 'tcp.analysis.zero_window_probe', severity: 'note', group: 'sequence', text: 'TCP Zero Window Probe' },
  { field: 'tcp.analysis.zero_window', severity: 'warn', group: 'sequence', text: 'TCP Zero Window segment' },
  { field: 'tcp.analysis.zero_window_probe_ack', severity: 'note', group: 'sequence', text: 'ACK to a TCP Zero Window Probe' },
  { field: 'tcp.non_zero_bytes_after_eol', severity: 'error', group: 'protocol', text: 'Non-zero header padding' },
];

/** The summary text of an item. */
export function expertMessage(code: Expert, arg: number): string {
  const t = expertKinds[code].text;
  return t.includes('%u') ? t.replace('%u', String(arg)) : t;
}

/** One row of the tally. */
export interface ExpertGroupRow {
  severity: ExpertSeverity;
  group: ExpertGroup;
  protocol: string;
  summary: string;
  /** Expert field filter name, when known. */
  field: string;
  count: number;
  firstFrame: number;
  /** The first frames (at most `framesKept`). */
  frames: number[];
}

interface Entry {
  code: number;
  arg: number;
  item: ExpertItem | null;
  protocol: string;
  count: number;
  frames: number[];
}

/** Counts expert items by kind, in order of first appearance (as tshark's expert tap). */
export class ExpertTally {
  private readonly entries = new Map<number | string, Entry>();
  total = 0;

  constructor(readonly framesKept = 20) {}

  /** Counts a flow-engine item. */
  add(code: Expert, arg: number, frame: number): void {
    const key = code + arg * 64;
    let e = this.entries.get(key);
    if (e === undefined) {
      e = { code, arg, item: null, protocol: 'TCP', count: 0, frames: [] };
      this.entries.set(key, e);
    }
    e.count++;
    this.total++;
    if (e.frames.length < this.framesKept) e.frames.push(frame);
  }

  /** Counts an item another dissector recorded on a packet. */
  addItem(item: ExpertItem, protocol: string, frame: number): void {
    const key = `${item.severity}\u0000${item.group}\u0000${protocol}\u0000${item.message}`;
    let e = this.entries.get(key);
    if (e === undefined) {
      e = { code: -1, arg: 0, item: { ...item }, protocol, count: 0, frames: [] };
      this.entries.set(key, e);
    }
    e.count++;
    this.total++;
    if (e.frames.length < this.framesKept) e.frames.push(frame);
  }

  /** Rows in order of first appearance. */
  rows(): ExpertGroupRow[] {
    const out: ExpertGroupRow[] = [];
    for (const e of this.entries.values()) {
      if (e.item) {
        out.push({ severity: e.item.severity, group: e.item.group, protocol: e.protocol, summary: e.item.message, field: e.item.field, count: e.count, firstFrame: e.frames[0], frames: e.frames });
      } else {
        const k = expertKinds[e.code];
        out.push({ severity: k.severity, group: k.group, protocol: e.protocol, summary: expertMessage(e.code, e.arg), field: k.field, count: e.count, firstFrame: e.frames[0], frames: e.frames });
      }
    }
    return out;
  }
}

const severityOrder: ExpertSeverity[] = ['error', 'warn', 'note', 'chat'];
const sectionName: Record<ExpertSeverity, string> = { error: 'Errors', warn: 'Warns', note: 'Notes', chat: 'Chats' };
const groupText: Record<ExpertGroup, string> = {
  checksum: 'Checksum', sequence: 'Sequence', response: 'Response/Reply', request: 'Request', undecoded: 'Undecoded',
  reassemble: 'Reassemble', malformed: 'Malformed', protocol: 'Protocol', security: 'Security', comment: 'Comment',
};

/** The group name as tshark prints it. */
export function expertGroupText(g: ExpertGroup): string {
  return groupText[g];
}

/** The rows as `tshark -q -z expert` prints them (sections by severity, most severe first). */
export function expertText(rows: readonly ExpertGroupRow[]): string {
  let out = '';
  for (const sev of severityOrder) {
    const mine = rows.filter((r) => r.severity === sev);
    if (!mine.length) continue;
    const total = mine.reduce((n, r) => n + r.count, 0);
    out += `\n${sectionName[sev]} (${total})\n=============\n`;
    out += '   Frequency      Group           Protocol  Summary\n';
    for (const r of mine) {
      out += `${String(r.count).padStart(12)} ${groupText[r.group].padStart(10)} ${r.protocol.padStart(18)}  ${r.summary}\n`;
    }
  }
  return out;
}
