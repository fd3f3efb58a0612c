/**
 * ARP and RARP (RFC 826, RFC 903; ethertypes 0x0806 and 0x8035): hardware and protocol
 * address types and sizes, the opcode, then sender and target addresses whose lengths the
 * header gives. Ethernet/IPv4 addresses get the typed fields (`arp.src.hw_mac`,
 * `arp.src.proto_ipv4`); other kinds are raw bytes, as in Wireshark.
 *
 * Offsets: 0 hardware type, 2 protocol type, 4 hardware size, 5 protocol size, 6 opcode,
 * 8 sender hardware address, then sender protocol, target hardware, target protocol.
 *
 * Hardware type 19 is ATMARP (RFC 2225), which Wireshark decodes with its own layout: 4 sender
 * ATM number type/length, 5 sender subaddress type/length, 6 opcode, 8 sender protocol length,
 * 9-11 the target's three, then sender number, subaddress, protocol address and the target's
 * (`arp.src.atm_num_nsap`/`_e164`, an NSAP broken into AFI, DSP, ESI and selector). Hardware
 * type 3 is AX.25 ARP: the plain layout, 7-byte addresses as `arp.src.hw_ax25`, no
 * gratuitous/probe flags. Both show their items only when the whole message is captured,
 * because Wireshark reads every address for its Info column before it builds the tree.
 */
import { defineFields, type FieldDef } from '../fields/field.js';
import type { Sink } from '../fields/sink.js';
import { GENERATED } from '../fields/value.js';
import { ipv4ToString, macToString, toHex, u16, u32 } from './bytes.js';
import { etherTypes, registerDissector, STOP } from './dissector.js';
import { etherTypeNames } from './ethernet.js';

const HEADER = 8;
/** Fixed part of an ATMARP message (RFC 2225). */
const ATM_HEADER = 12;
/** ARPHRD_ATM2225 and ARPHRD_AX25: hardware types Wireshark hands to its ATMARP and AX.25 ARP dissectors. */
const HW_ATM2225 = 19;
const HW_AX25 = 3;

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

/** ATMARP opcodes (Wireshark's atmop_vals, used for the protocol line). */
const atmOpcodeNames: Record<number, string> = {
  1: 'request', 2: 'reply', 8: 'inverse request', 9: 'inverse reply', 10: 'nak', 11: 'mars request', 12: 'mars multi',
  13: 'mars mserv', 14: 'mars join', 15: 'mars leave', 16: 'mars nak', 17: 'mars unserv', 18: 'mars sjoin', 19: 'mars sleave',
  20: 'mars grouplist request', 21: 'mars gruoplist reply', 22: 'mars redirect map', 23: 'mapos unarp', 24: 'experimental 1',
  25: 'experimental 2', 0: 'reserved', 65535: 'reserved',
};

/** NSAP authority and format identifiers of ATM addresses. */
const nsapAfiNames: Record<number, string> = {
  0x39: 'DCC ATM format', 0xbd: 'DCC ATM group format', 0x47: 'ICD ATM format', 0xc5: 'ICD ATM group format',
  0x45: 'E.164 ATM format', 0xc3: 'E.164 ATM group format',
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
  'src.htype': { display: 'Sender ATM number type', type: 'bool', mask: 0x40, bits: 8, trueFalse: ['E.164', 'ATM Forum NSAPA'] },
  'src.hlen': { display: 'Sender ATM number length', type: 'uint8', base: 'dec', mask: 0x3f },
  'src.stype': { display: 'Sender ATM subaddress type', type: 'bool', mask: 0x40, bits: 8, trueFalse: ['E.164', 'ATM Forum NSAPA'] },
  'src.slen': { display: 'Sender ATM subaddress length', type: 'uint8', base: 'dec', mask: 0x3f },
  'src.pln': { display: 'Sender protocol size', type: 'uint8', base: 'dec' },
  'dst.htype': { display: 'Target ATM number type', type: 'bool', mask: 0x40, bits: 8, trueFalse: ['E.164', 'ATM Forum NSAPA'] },
  'dst.hlen': { display: 'Target ATM number length', type: 'uint8', base: 'dec', mask: 0x3f },
  'dst.stype': { display: 'Target ATM subaddress type', type: 'bool', mask: 0x40, bits: 8, trueFalse: ['E.164', 'ATM Forum NSAPA'] },
  'dst.slen': { display: 'Target ATM subaddress length', type: 'uint8', base: 'dec', mask: 0x3f },
  'dst.pln': { display: 'Target protocol size', type: 'uint8', base: 'dec' },
  // FT_AX25: tshark's -T fields prints the 7 bytes colon-separated, as an 'ether' value; the tree shows the callsign.
  'src.hw_ax25': { display: 'Sender AX.25 address', type: 'ether' },
  'dst.hw_ax25': { display: 'Target AX.25 address', type: 'ether' },
  'src.atm_num_e164': { display: 'Sender ATM number (E.164)', type: 'string' },
  'src.atm_num_nsap': { display: 'Sender ATM number (NSAP)', type: 'bytes' },
  'src.atm_subaddr': { display: 'Sender ATM subaddress', type: 'bytes' },
  'dst.atm_num_e164': { display: 'Target ATM number (E.164)', type: 'string' },
  'dst.atm_num_nsap': { display: 'Target ATM number (NSAP)', type: 'bytes' },
  'dst.atm_subaddr': { display: 'Target ATM subaddress', type: 'bytes' },
  // Wireshark breaks both sender and target NSAPs down with these `src` fields.
  'src.atm_afi': { display: 'AFI', type: 'uint8', base: 'hex', values: nsapAfiNames },
  'src.atm_afi.unknown': { display: 'Unknown AFI', type: 'none' },
  'src.atm_data_country_code': { display: 'Data Country Code', type: 'uint16', base: 'hex' },
  'src.atm_data_country_code_group': { display: 'Data Country Code (group)', type: 'uint16', base: 'hex' },
  'src.atm_international_code_designator': { display: 'International Code Designator', type: 'uint16', base: 'hex' },
  'src.atm_international_code_designator_group': { display: 'International Code Designator (group)', type: 'uint16', base: 'hex' },
  'src.atm_e.164_isdn': { display: 'E.164 ISDN', type: 'bytes' },
  'src.atm_e.164_isdn_group': { display: 'E.164 ISDN', type: 'bytes' },
  'src.atm_high_order_dsp': { display: 'High Order DSP', type: 'bytes' },
  'src.atm_end_system_identifier': { display: 'End System Identifier', type: 'bytes' },
  'src.atm_selector': { display: 'Selector', type: 'uint8', base: 'hex' },
  'src.atm_rest_of_address': { display: 'Rest of address', type: 'bytes' },
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

/** ATMARP message length: the fixed part and the six address lengths it announces. */
function atmLength(b: Uint8Array, o: number): number {
  return ATM_HEADER + (b[o + 4] & 0x3f) + (b[o + 5] & 0x3f) + b[o + 8] + (b[o + 9] & 0x3f) + (b[o + 10] & 0x3f) + b[o + 11];
}

/** An FT_STRING read with ENC_ASCII: up to the first NUL, bytes above 0x7f as U+FFFD. */
function asciiText(b: Uint8Array, at: number, len: number): string {
  let text = '';
  for (let i = at; i < at + len && b[i] !== 0; i++) text += b[i] < 0x80 ? String.fromCharCode(b[i]) : '\ufffd';
  return text;
}

/** `N0CALL-3`: an AX.25 address's callsign (characters shifted one bit, spaces dropped) and SSID. */
function ax25Text(b: Uint8Array, at: number): string {
  let call = '';
  for (let i = 0; i < 6; i++) {
    const c = b[at + i] >> 1;
    if (c !== 0x20) call += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
  }
  const ssid = (b[at + 6] >> 1) & 0x0f;
  return ssid ? `${call}-${ssid}` : call;
}

/** One ATM number: an E.164 string or an NSAP, whose 20-byte form is broken down by its AFI. */
function atmNumber(b: Uint8Array, at: number, typeLength: number, e164: FieldDef, nsap: FieldDef, s: Sink): void {
  const len = typeLength & 0x3f;
  if (typeLength & 0x40) {
    s.add(e164, b, at, len, asciiText(b, at, len));
    return;
  }
  s.add(nsap, b, at, len);
  if (len < 20) return;
  const f = arpFields;
  const afi = b[at];
  s.push();
  s.add(f['src.atm_afi'], b, at, 1);
  switch (afi) {
    case 0x39: case 0xbd:
      s.add(afi === 0xbd ? f['src.atm_data_country_code_group'] : f['src.atm_data_country_code'], b, at + 1, 2);
      s.add(f['src.atm_high_order_dsp'], b, at + 3, 10);
      break;
    case 0x47: case 0xc5:
      s.add(afi === 0xc5 ? f['src.atm_international_code_designator_group'] : f['src.atm_international_code_designator'], b, at + 1, 2);
      s.add(f['src.atm_high_order_dsp'], b, at + 3, 10);
      break;
    case 0x45: case 0xc3:
      s.add(afi === 0xc3 ? f['src.atm_e.164_isdn_group'] : f['src.atm_e.164_isdn'], b, at + 1, 8);
      s.add(f['src.atm_high_order_dsp'], b, at + 9, 4);
      break;
    default:
      s.push();
      s.add(f['src.atm_afi.unknown'], b, at, 1);
      s.pop();
      s.add(f['src.atm_rest_of_address'], b, at + 1, len - 1);
      s.pop();
      return;
  }
  s.add(f['src.atm_end_system_identifier'], b, at + 13, 6);
  s.add(f['src.atm_selector'], b, at + 19, 1);
  s.pop();
}

/** The type/length label Wireshark gives an ATM number or subaddress. */
function typeLengthLabel(what: string, tl: number): string {
  return `${what} type/length: ${tl & 0x40 ? 'E.164' : 'ATM Forum NSAPA'}/${tl & 0x3f}`;
}

/** ATMARP items, in Wireshark's order; none unless every address is captured (its Info column reads them all first). */
function atmTree(b: Uint8Array, o: number, end: number, s: Sink): void {
  const f = arpFields;
  if (end < o + atmLength(b, o)) return;
  const labels = s.wantsLabels;
  s.add(f['hw.type'], b, o, 2);
  s.add(f['proto.type'], b, o + 2, 2);
  s.add(f['src.htype'], b, o + 4, 1, undefined, 0, labels ? typeLengthLabel('Sender ATM number', b[o + 4]) : undefined);
  s.add(f['src.hlen'], b, o + 4, 1);
  s.add(f['src.stype'], b, o + 5, 1, undefined, 0, labels ? typeLengthLabel('Sender ATM subaddress', b[o + 5]) : undefined);
  s.add(f['src.slen'], b, o + 5, 1);
  s.add(f.opcode, b, o + 6, 2);
  s.add(f['src.pln'], b, o + 8, 1);
  s.add(f['dst.htype'], b, o + 9, 1, undefined, 0, labels ? typeLengthLabel('Target ATM number', b[o + 9]) : undefined);
  s.add(f['dst.hlen'], b, o + 9, 1);
  s.add(f['dst.stype'], b, o + 10, 1, undefined, 0, labels ? typeLengthLabel('Target ATM subaddress', b[o + 10]) : undefined);
  s.add(f['dst.slen'], b, o + 10, 1);
  s.add(f['dst.pln'], b, o + 11, 1);
  const protocol = u16(b, o + 2);
  let at = o + ATM_HEADER;
  for (let side = 0; side < 2; side++) {
    const src = side === 0;
    // Type/length bytes: sender number 4, subaddress 5, protocol length 8; target 9, 10, 11.
    const numberTl = b[o + (src ? 4 : 9)];
    const subLength = b[o + (src ? 5 : 10)] & 0x3f;
    const protoLength = b[o + (src ? 8 : 11)];
    if (numberTl & 0x3f) atmNumber(b, at, numberTl, src ? f['src.atm_num_e164'] : f['dst.atm_num_e164'], src ? f['src.atm_num_nsap'] : f['dst.atm_num_nsap'], s);
    at += numberTl & 0x3f;
    if (subLength) s.add(src ? f['src.atm_subaddr'] : f['dst.atm_subaddr'], b, at, subLength);
    at += subLength;
    if (protoLength) s.add(isIpv4(protocol, protoLength) ? (src ? f['src.proto_ipv4'] : f['dst.proto_ipv4']) : src ? f['src.proto'] : f['dst.proto'], b, at, protoLength);
    at += protoLength;
  }
}

/** AX.25 ARP items: the plain layout, AX.25 addresses typed, no gratuitous/probe flags; none unless all is captured. */
function ax25Tree(b: Uint8Array, o: number, end: number, s: Sink): void {
  const f = arpFields;
  const hln = b[o + 4];
  const pln = b[o + 5];
  if (end < o + HEADER + 2 * hln + 2 * pln) return;
  s.add(f['hw.type'], b, o, 2);
  s.add(f['proto.type'], b, o + 2, 2);
  s.add(f['hw.size'], b, o + 4, 1);
  s.add(f['proto.size'], b, o + 5, 1);
  s.add(f.opcode, b, o + 6, 2);
  const ax25 = hln === 7;
  const ipv4 = isIpv4(u16(b, o + 2), pln);
  const labels = s.wantsLabels;
  let at = o + HEADER;
  for (let side = 0; side < 2; side++) {
    const src = side === 0;
    if (hln) {
      const label = ax25 && labels ? `${src ? 'Sender' : 'Target'} AX.25 address: ${ax25Text(b, at)}` : undefined;
      s.add(ax25 ? (src ? f['src.hw_ax25'] : f['dst.hw_ax25']) : src ? f['src.hw'] : f['dst.hw'], b, at, hln, undefined, 0, label);
    }
    at += hln;
    if (pln) s.add(ipv4 ? (src ? f['src.proto_ipv4'] : f['dst.proto_ipv4']) : src ? f['src.proto'] : f['dst.proto'], b, at, pln);
    at += pln;
  }
}

export const arp = registerDissector({
  name: 'arp',
  display: 'Address Resolution Protocol',
  decode(p, layer) {
    const o = p.start[layer];
    const lim = p.limit[layer];
    const b = p.bufferOf(layer);
    const atm = lim - o >= 2 && u16(b, o) === HW_ATM2225;
    if (lim - o < (atm ? ATM_HEADER : HEADER)) {
      p.markShort(layer, o + (atm ? ATM_HEADER : HEADER), 'ARP header cut short');
      p.end[layer] = lim;
      return STOP;
    }
    const total = atm ? atmLength(b, o) : HEADER + 2 * b[o + 4] + 2 * b[o + 5];
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
    const hardware = u16(b, o);
    if (hardware === HW_ATM2225) {
      const name = atmOpcodeNames[op];
      return name ? `ATM Address Resolution Protocol (${name})` : `ATM Address Resolution Protocol (opcode 0x${op.toString(16).padStart(4, '0')})`;
    }
    // packet-arp.c names the opcode after the address items: a message cut short has no suffix.
    if (end < o + HEADER + 2 * b[o + 4] + 2 * b[o + 5]) return 'Address Resolution Protocol';
    const name = opcodeNames[op];
    if (!name) return `Address Resolution Protocol (opcode 0x${op.toString(16).padStart(4, '0')})`;
    const c = classify(b, o, end);
    if (hardware === HW_AX25) return `Address Resolution Protocol (${c.gratuitous ? `${name}/gratuitous ARP` : name})`;
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
    // ATMARP and AX.25 ARP have dissectors of their own in Wireshark, which read the whole header first.
    if (u16(b, o) === HW_ATM2225) {
      if (end >= o + ATM_HEADER) atmTree(b, o, end, s);
      return;
    }
    if (u16(b, o) === HW_AX25) {
      if (end >= o + HEADER) ax25Tree(b, o, end, s);
      return;
    }
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

// ---- Packet-list columns (Wireshark's Info text) ----
import type { Packet } from './packet.js';

/** Protocol column names by opcode (packet-arp.c): reverse, dynamic reverse and inverse ARP. */
function arpProtocolName(op: number): string {
  return op === 3 || op === 4 ? 'RARP' : op >= 5 && op <= 7 ? 'DRARP' : op === 8 || op === 9 ? 'Inverse ARP' : 'ARP';
}

/** IPv4 address → sender MAC seen, per decoder, for packet-arp.c's duplicate address detection. */
const arpSenders = new WeakMap<object, Map<number, string>>();

/** ` (duplicate use of 10.0.0.1 detected!)` when `ip` was first seen with another MAC; remembers the first. */
function duplicateUse(p: Packet, ip: number, mac: string): string {
  let seen = arpSenders.get(p.state);
  if (!seen) arpSenders.set(p.state, (seen = new Map()));
  const before = seen.get(ip);
  if (before === undefined) seen.set(ip, mac);
  return before !== undefined && before !== mac ? ` (duplicate use of ${ipv4ToString(ip)} detected!)` : '';
}

/** `Who has 10.0.0.2? Tell 10.0.0.1` and the other ARP texts (addresses stay the link layer's). */
arp.info = (p, layer, col) => {
  const b = p.bufferOf(layer);
  const o = p.start[layer];
  const end = Math.min(b.length, p.limit[layer]);
  const atm = end - o >= 2 && u16(b, o) === HW_ATM2225;
  const op = end >= o + 8 ? u16(b, o + 6) : 0;
  col.setProtocol(atm ? 'ATMARP' : arpProtocolName(op));
  col.clear();
  if (end < o + HEADER || atm) return;
  const hln = b[o + 4];
  const pln = b[o + 5];
  if (end < o + addressesRead(op, hln, pln)) return;
  // A message that runs past its packet: tshark's exception comes before any text.
  if (p.malformed !== null && p.problemLayer === layer) return;
  const sha = o + HEADER;
  const spa = sha + hln;
  const tha = spa + pln;
  const tpa = tha + hln;
  const hw = (at: number) => (hln === 0 ? '<No address>' : isEther(u16(b, o), hln) ? macToString(b, at) : toHex(b.subarray(at, at + hln)));
  const proto = (at: number) => (pln === 0 ? '<No address>' : isIpv4(u16(b, o + 2), pln) ? ipv4ToString(u32(b, at)) : toHex(b.subarray(at, at + pln)));
  switch (op) {
    case 5: col.set(`Who is ${hw(tha)}? Tell ${hw(sha)}`); break;
    case 6: col.set(`${hw(tha)} is at ${proto(tpa)}`); break;
    case 7: col.set('DRARP Error'); break;
    case 0: case 0xffff: col.set(`Reserved opcode ${op}`); break;
    case 9: col.set(`${hw(sha)} is at ${proto(spa)}`); break;
    default: col.set(arpInfo(b, o));
  }
  // Requests and replies between Ethernet and IPv4 addresses: a sender address seen before
  // with another MAC is reported, as Wireshark's arp.duplicate-address-detected.
  if ((op === 1 || op === 2) && isEther(u16(b, o), hln) && isIpv4(u16(b, o + 2), pln) && end >= tpa + pln) {
    const sender = duplicateUse(p, u32(b, spa), macToString(b, sha));
    col.append(sender || (op === 2 ? duplicateUse(p, u32(b, tpa), macToString(b, tha)) : ''));
  }
};
