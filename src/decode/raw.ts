/**
 * Raw IP link types: LINKTYPE_RAW (101) and the BSD/OpenBSD DLT_RAW numbers 12 and 14 that
 * pcap files also carry. There is no link-layer header: Wireshark shows a `raw` protocol item
 * ("Raw packet data") over the whole frame, then picks the payload as its packet-raw.c does:
 * PPP in HDLC-like framing (FF 03, also after a 6-byte fake MAC or 1 byte from Linux ISDN),
 * 10 zero bytes (ISDN link down) before IPv4, else the version nibble: 4 → IPv4, 6 → IPv6.
 * LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229) go straight to IPv4/IPv6 (see ipv4.ts, ipv6.ts).
 */
import { u16 } from './bytes.js';
import { linkTypes, registerDissector, STOP } from './dissector.js';
import { data } from './data.js';
import { ipv4 } from './ipv4.js';
import { ipv6 } from './ipv6.js';

export const LINKTYPE_RAW = 101;

export const raw = registerDissector({
  name: 'raw',
  display: 'Raw packet data',
  decode(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const lim = p.limit[layer];
    // The item spans the frame; the payload starts at the same byte.
    p.end[layer] = lim;
    p.nextStart = o;
    const avail = lim - o;
    // Wireshark reads 16 bits at 0, then at 6 (and 1) before deciding: shorter frames throw.
    if (avail < 2) return short(p, layer, o + 2);
    if (u16(b, o) === 0xff03) return data.id; // PPP (not dissected here)
    if (avail < 8) return short(p, layer, o + 8);
    if (u16(b, o + 6) === 0xff03 || u16(b, o + 1) === 0xff03) return data.id;
    if (avail >= 10) {
      let zero = true;
      for (let i = o; i < o + 10; i++) if (b[i] !== 0) zero = false;
      if (zero) {
        p.nextStart = o + 10;
        // Even with nothing after the zeros Wireshark calls IPv4 (which then finds no header).
        return ipv4.id;
      }
    }
    const version = b[o] >> 4;
    return version === 4 ? ipv4.id : version === 6 ? ipv6.id : data.id;
  },
  summary: () => 'Raw packet data',
  tree() {
    // No fields: the protocol item alone (Wireshark's proto_raw over the captured bytes).
  },
});

function short(p: import('./packet.js').Packet, layer: number, need: number): number {
  p.markShort(layer, need, 'Raw packet shorter than the bytes its framing checks read');
  return STOP;
}

linkTypes.add(LINKTYPE_RAW, raw);
// DLT_RAW as written by OpenBSD (14) and BSD/OS (12) libpcap: Wireshark maps both to raw IP.
linkTypes.add(12, raw);
linkTypes.add(14, raw);
