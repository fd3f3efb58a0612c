/**
 * The header fields: the fields the L2–L4 dissectors of this folder fill from the bytes of
 * their own headers, with no flow engine and no application dissector behind them. A `-T
 * fields` run that asks only for these can decode up to the transport layer (`transportOnly`)
 * and skip connection tracking; one that asks only for frame fields needs no layer walk at all.
 *
 * The set is what the dissector modules below export (field tables, single fields, and each
 * dissector's protocol item), so a field declared elsewhere under the same protocol name
 * (`tcp.stream` by the flow engine, `tcp.segment` by TCP desegmentation) is never in it. A
 * field missing here is only slower, never wrong: it takes the full pass.
 *
 * @example
 * import { lookupField } from '../fields/field.js';
 * isHeaderField(lookupField('ip.src')!); // true
 * isHeaderField(lookupField('tcp.stream')!); // false: the flow engine fills it
 */
import { fieldById, type FieldDef } from '../fields/field.js';
// First, so the dissectors register in their usual order whoever loads this module first.
import './header-dissectors.js';
import * as arp from './arp.js';
import * as chdlc from './chdlc.js';
import * as ethernet from './ethernet.js';
import * as frame from './frame.js';
import * as geneve from './geneve.js';
import * as gre from './gre.js';
import * as icmp from './icmp.js';
import * as icmpv6 from './icmpv6.js';
import * as ipv4 from './ipv4.js';
import * as ipv6 from './ipv6.js';
import * as loopback from './loopback.js';
import * as macsec from './macsec.js';
import * as mpls from './mpls.js';
import * as nflog from './nflog.js';
import * as nsh from './nsh.js';
import * as pim from './pim.js';
import * as pktap from './pktap.js';
import * as ppp from './ppp.js';
import * as pppoe from './pppoe.js';
import * as raw from './raw.js';
import * as sll from './sll.js';
import * as tcp from './tcp.js';
import * as udp from './udp.js';
import * as vlan from './vlan.js';
import * as vxlan from './vxlan.js';

const modules: ReadonlyArray<Record<string, unknown>> = [
  arp, chdlc, ethernet, frame, geneve, gre, icmp, icmpv6, ipv4, ipv6, loopback, macsec, mpls, nflog, nsh, pim, pktap, ppp,
  pppoe, raw, sll, tcp, udp, vlan, vxlan,
];

/**
 * Frame fields that depend on more than the capture record: `frame.protocols` names every
 * layer, application layers included.
 */
const notHeader = new Set(['frame.protocols']);

function isField(v: unknown): v is FieldDef {
  const id = (v as { id?: unknown } | null)?.id;
  return typeof id === 'number' && fieldById(id) === v;
}

let headerIds: Set<number> | undefined;

function collect(): Set<number> {
  const ids = new Set<number>();
  const take = (v: unknown) => {
    if (isField(v) && !notHeader.has(v.name)) ids.add(v.id);
  };
  for (const m of modules) {
    for (const v of Object.values(m)) {
      if (v === null || typeof v !== 'object') continue;
      take(v);
      // A dissector (its protocol item) or a table of fields.
      if (isField((v as { protocol?: unknown }).protocol)) take((v as { protocol: unknown }).protocol);
      else if (!isField(v) && !ArrayBuffer.isView(v) && !Array.isArray(v)) for (const w of Object.values(v)) take(w);
    }
  }
  return ids;
}

/** True when the L2–L4 header walk alone fills `f` (see the module comment). */
export function isHeaderField(f: FieldDef): boolean {
  headerIds ??= collect();
  return headerIds.has(f.id);
}

/** True for the frame fields that need no layer walk: what the capture record says. */
export function isFrameRecordField(f: FieldDef): boolean {
  return f.protocol === 'frame' && isHeaderField(f);
}
