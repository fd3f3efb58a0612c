/**
 * ARP and RARP (RFC 826, RFC 903; ethertypes 0x0806 and 0x8035): hardware and protocol
 * address types and sizes, the opcode, then sender and target addresses whose lengths the
 * header gives. Ethernet/IPv4 addresses get the typed fields (`arp.src.hw_mac`,
 * `arp.src.proto_ipv4`); other kinds are raw bytes, as in Wireshark.
 *
 * Offsets: 0 hardware type, 2 protocol type, 4 hardware size, 5 protocol size, 6 opcode,
 * 8 sender hardware address, then sender protocol, target hardware, target protocol.
 */
import { defineFields } from '../fields/field.js';
import { GENERATED } from '../fields/value.js';
import { ipv4ToString, macToString, toHex, u16, u32 } from './bytes.js';
import { etherTypes, registerDissector, STOP } from './dissector.js';
import { etherTypeNames } from './ethernet.js';

const HEADER = 8;

/** Hardware types (IANA "Hardware Types" and the Linux ARPHRD_ values SLL uses), as Wireshark's arp_hrd_vals. */
export const hardwareTypeNames: Record<number, string> = {
  0: 'NET/ROM pseudo', 1: 'Ethernet', 2: 'Experimental Ethernet', 3: 'AX.25', 4: 'ProNET', 5: 'Chaos', 6: 'IEEE 802', 7: 'ARCNET',
  8: 'Hyperchannel', 9: 'Lanstar', 10: 'Autonet Short Address', 11: 'Localtalk', 12: 'LocalNet', 13: 'Ultra link', 14: 'SMDS',
  15: 'Frame Relay DLCI', 16: 'ATM', 17: 'HDLC', 18: 'Fibre Channel', 19: 'ATM (RFC 2225)', 20: 'Serial Line', 21: 'ATM',
  22: 'MIL-STD-188-220', 23: 'Metricom STRIP', 24: 'IEEE 1394.1995', 25: 'MAPOS', 26: 'Twinaxial', 27: 'EUI-64', 28: 'HIPARP',
  29: 'IP and ARP over ISO 7816-3', 30: 'ARPSec', 31: 'IPsec tunnel', 32: 'InfiniBand', 33: 'TIA-102 Project 25 CAI',
  34: 'Wiegand Interface', 35: 'Pure IP', 36: 'Experimental 1', 37: 'HFI', 38: 'Unified Bus', 256: 'Experimental 2', 257: 'AEthernet',
  270: 'ROSE', 271: 'CCITT X.25', 272: 'Boards with X.25 in firmware', 280: 'Controller Area Network', 512: 'PPP', 513: 'Cisco HDLC',
  516: 'LAPB', 517: "Digital's DDCMP protocol", 518: 'Raw HDLC', 519: 'Raw IP', 768: 'IPIP tunnel', 769: 'IP6IP6 tunnel',
  770: 'Frame Relay Access Device', 771: 'SKIP vif', 772: 'Loopback', 774: 'Fiber Distributed Data Interface', 775: 'AP1000 BIF',
  776: 'sit0 device - IPv6-in-IPv4', 777: 'IP over DDP tunneller', 778: 'GRE over IP', 779: 'PIMSM register interface',
  780: 'High Performance Parallel I\'face', 781: '(Nexus Electronics) Ash', 782: 'Acorn Econet', 783: 'Linux-IrDA',
  784: 'Point to point fibrechanel', 785: 'Fibrechanel arbitrated loop', 786: 'Fibrechanel public loop', 787: 'Fibrechanel fabric',
  800: 'Magic type ident for TR', 801: 'IEEE 802.11', 802: 'IEEE 802.11 + Prism2 header', 803: 'IEEE 802.11 + radiotap header',
  804: 'IEEE 802.15.4', 805: 'IEEE 802.15.4 network monitor', 820: 'PhoNet media type', 821: 'PhoNet pipe header',
  822: 'CAIF media type', 823: 'GRE over IPv6', 824: 'Netlink', 825: 'IPv6 over LoWPAN', 826: 'Vsock monitor header',
  65535: 'Void type, nothing is known', 65534: 'Zero header length',
};

const opcodeNames: Record<number, string> = {
  0: 'reserved', 1: 'request', 2: 'reply', 3: 'reverse request', 4: 'reverse reply', 5: 'drarp request', 6: 'drarp reply',
  7: 'drarp error', 8: 'inverse request', 9: 'inverse reply', 10: 'arp nak', 11: 'mars request', 12: 'mars multi', 13: 'mars mserv',
  14: 'mars join', 15: 'mars leave', 16: 'mars nak', 17: 'mars unserv', 18: 'mars sjoin', 19: 'mars sleave',
  20: 'mars grouplist request', 21: 'mars grouplist reply', 22: 'mars redirect map', 23: 'mapos unarp', 24: 'experimental 1',
  25: 'experimental 2', 65535: 'reserved',
};

export const arpFields = defineFields('arp', {
  'hw.type': { display: 'Hardware type', type: 'uint16', base: 'dec', values: hardwareTypeNames },
  'proto.type': { display: 'Protocol type', type: 'uint16', base: 'hex', values: etherTypeNames },
  'hw.size': { display: 'Hardware size', type: 'uint8', base: 'dec' },
  'proto.size': { display: 'Protocol size', type: 'uint8', base: 'dec' },
  opcode: { display: 'Opcode', type: 'uint16', base: 'dec', values: opcodeNames },
  isgratuitous: { display: 'Is gratuitous', type: 'bool', trueFalse: ['True', 'False'] },
  isprobe: { display: 'Is probe', type: 'bool', trueFalse: ['True', 'False'] },
  isannouncement: { display: 'Is announcement', type: 'bool', trueFalse: ['True', 'False'] },
  'src.hw': { display: 'Sender hardware address', type: 'bytes' },
  'src.hw_mac': { display: 'Sender MAC address', type: 'ether' },
  'src.proto': { display: 'Sender protocol address', type: 'bytes' },
  'src.proto_ipv4': { display: 'Sender IP address', type: 'ipv4' },
  'dst.hw': { display: 'Target hardware address', type: 'bytes' },
  'dst.hw_mac': { display: 'Target MAC address', type: 'ether' },
  'dst.proto': { display: 'Target protocol address', type: 'bytes' },
  'dst.proto_ipv4': { display: 'Target IP address', type: 'ipv4' },
  'dst.drarp_error_status': { display: 'DRARP error status', type: 'uint16', base: 'dec', values: { 1: 'restricted', 2: 'no address', 3: 'serverdown', 4: 'moved', 5: 'failure' } },
});

/** Wireshark's ARP_HW_IS_ETHER: Ethernet or IEEE 802 hardware with 6-byte addresses. */
function isEther(hardware: number, size: number): boolean {
  return (hardware === 1 || hardware === 6) && size === 6;
}

/** Wireshark's ARP_PRO_IS_IPv4: IPv4 (or AX.25's IP protocol id 0xCC) with 4-byte addresses. */
function isIpv4(protocol: number, size: number): boolean {
  return (protocol === 0x0800 || protocol === 0xcc) && size === 4;
}

/** How far into the message Wireshark reads addresses for its Info column, by opcode. */
function addressesRead(op: number, hln: number, pln: number): number {
  const spaEnd = HEADER + hln + pln;
  const thaEnd = spaEnd + hln;
  switch (op) {
    case 1: case 2: case 4: case 6: return thaEnd + pln;
    case 3: case 5: case 8: return hln ? thaEnd : 0;
    case 9: case 11: case 12: case 13: case 14: case 15: case 16: case 17: case 18: case 19: case 20: case 21: case 22: case 23:
      return pln ? spaEnd : hln ? HEADER + hln : 0;
    default: return 0;
  }
}

/** Whether the request/reply names the same sender and target protocol address (Wireshark: gratuitous). */
function classify(b: Uint8Array, o: number, end: number): { gratuitous: boolean; probe: boolean; announcement: boolean } {
  const hln = b[o + 4];
  const pln = b[o + 5];
  const op = u16(b, o + 6);
  const spa = o + HEADER + hln;
  const tha = spa + pln;
  const tpa = tha + hln;
  let gratuitous = false;
  let probe = false;
  let announcement = false;
  const thaZero = tha + 6 <= end && b[tha] === 0 && b[tha + 1] === 0 && b[tha + 2] === 0 && b[tha + 3] === 0 && b[tha + 4] === 0 && b[tha + 5] === 0;
  if (op === 1 || op === 2) {
    let same = true;
    for (let i = 0; i < pln; i++) if (b[spa + i] !== b[tpa + i]) same = false;
    if (same) {
      gratuitous = true;
      if (op === 1 && thaZero) announcement = true;
    } else if (op === 1 && thaZero && u32(b, spa) === 0) {
      probe = true;
    }
  }
  return { gratuitous, probe, announcement };
}

export const arp = registerDissector({
  name: 'arp',
  display: 'Address Resolution Protocol',
  decode(p, layer) {
    const o = p.start[layer];
    const lim = p.limit[layer];
    const b = p.bufferOf(layer);
    if (lim - o < HEADER) {
      p.markShort(layer, o + HEADER, 'ARP header shorter than 8 bytes');
      p.end[layer] = lim;
      return STOP;
    }
    const total = HEADER + 2 * b[o + 4] + 2 * b[o + 5];
    // Wireshark sets the ARP tvb's reported length to the message length: what follows is trailer.
    if (o + total > p.reported[layer]) {
      p.markMalformed(layer, `ARP message of ${total} bytes runs past the end of the packet`);
      p.end[layer] = lim;
      return STOP;
    }
    if (o + total > lim) {
      p.markShort(layer, o + total, 'ARP addresses cut by the capture length');
      p.end[layer] = lim;
      return STOP;
    }
    p.end[layer] = o + total;
    p.limit[layer] = o + total;
    p.reported[layer] = o + total;
    return STOP;
  },
  summary(p, layer) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = Math.min(b.length, p.limit[layer]);
    if (end < o + HEADER) return 'Address Resolution Protocol';
    const op = u16(b, o + 6);
    const name = opcodeNames[op];
    if (!name) return `Address Resolution Protocol (opcode 0x${op.toString(16).padStart(4, '0')})`;
    if (end < o + HEADER + 2 * b[o + 4] + 2 * b[o + 5]) return `Address Resolution Protocol (${name})`;
    const c = classify(b, o, end);
    const text = c.announcement ? 'ARP Announcement' : c.probe ? 'ARP Probe' : c.gratuitous ? `${name}/gratuitous ARP` : name;
    return `Address Resolution Protocol (${text})`;
  },
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const f = arpFields;
    const end = Math.min(b.length, p.limit[layer]);
    // Items as far as the bytes go: each of Wireshark's stops the tree where it would throw.
    if (end < o + 2) return;
    s.add(f['hw.type'], b, o, 2);
    if (end < o + 4) return;
    s.add(f['proto.type'], b, o + 2, 2);
    if (end < o + 5) return;
    s.add(f['hw.size'], b, o + 4, 1);
    if (end < o + 6) return;
    s.add(f['proto.size'], b, o + 5, 1);
    if (end < o + 8) return;
    s.add(f.opcode, b, o + 6, 2);
    const hardware = u16(b, o);
    const protocol = u16(b, o + 2);
    const hln = b[o + 4];
    const pln = b[o + 5];
    const op = u16(b, o + 6);
    const total = HEADER + 2 * hln + 2 * pln;
    // Before any address item Wireshark reads the addresses its Info text names (and compares
    // sender and target of requests/replies): with those bytes missing it throws there.
    if (end < o + addressesRead(op, hln, pln)) return;
    if (end >= o + total) {
      const c = classify(b, o, end);
      if (c.gratuitous) s.add(f.isgratuitous, b, o, 0, true, GENERATED);
      if (c.probe) s.add(f.isprobe, b, o, 0, true, GENERATED);
      if (c.announcement) s.add(f.isannouncement, b, o, 0, true, GENERATED);
    }
    const ether = isEther(hardware, hln);
    const ipv4 = isIpv4(protocol, pln);
    const sha = o + HEADER;
    const spa = sha + hln;
    const tha = spa + pln;
    const tpa = tha + hln;
    if (hln) {
      if (end < sha + hln) return;
      s.add(ether ? f['src.hw_mac'] : f['src.hw'], b, sha, hln);
    }
    if (pln) {
      if (end < spa + pln) return;
      s.add(ipv4 ? f['src.proto_ipv4'] : f['src.proto'], b, spa, pln);
    }
    if (hln) {
      if (end < tha + hln) return;
      s.add(ether ? f['dst.hw_mac'] : f['dst.hw'], b, tha, hln);
    }
    if (pln && op !== 7) {
      if (end < tpa + pln) return;
      s.add(ipv4 ? f['dst.proto_ipv4'] : f['dst.proto'], b, tpa, pln);
    } else if (pln) {
      if (end < tpa + 1) return;
      s.add(f['dst.drarp_error_status'], b, tpa, 1);
    }
  },
});

/** `Who has 10.0.0.2? Tell 10.0.0.1` style text, as Wireshark's Info column. */
export function arpInfo(b: Uint8Array, o: number): string {
  const hln = b[o + 4];
  const pln = b[o + 5];
  const op = u16(b, o + 6);
  const protocol = u16(b, o + 2);
  const hardware = u16(b, o);
  const spa = o + HEADER + hln;
  const tpa = spa + pln + hln;
  const proto = (at: number) => (pln === 0 ? '<No address>' : isIpv4(protocol, pln) ? ipv4ToString(u32(b, at)) : toHex(b.subarray(at, at + pln)));
  const hw = (at: number) => (hln === 0 ? '<No address>' : isEther(hardware, hln) ? macToString(b, at) : toHex(b.subarray(at, at + hln)));
  const c = classify(b, o, b.length);
  switch (op) {
    case 1:
      if (c.gratuitous) return c.announcement ? `ARP Announcement for ${proto(tpa)}` : `Gratuitous ARP for ${proto(tpa)} (Request)`;
      return c.probe ? `Who has ${proto(tpa)}? (ARP Probe)` : `Who has ${proto(tpa)}? Tell ${proto(spa)}`;
    case 2:
      return c.gratuitous ? `Gratuitous ARP for ${proto(spa)} (Reply)` : `${proto(spa)} is at ${hw(o + HEADER)}`;
    case 3: case 8:
      return `Who is ${hw(spa + pln)}? Tell ${hw(o + HEADER)}`;
    case 4:
      return `${hw(spa + pln)} is at ${proto(tpa)}`;
    default:
      return `Unknown ARP opcode 0x${op.toString(16).padStart(4, '0')}`;
  }
}

etherTypes.add(0x0806, arp);
etherTypes.add(0x8035, arp);
