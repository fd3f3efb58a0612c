/** Big-endian readers over byte arrays; callers check bounds first (one length check per header). */
export function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
export function u24(b: Uint8Array, o: number): number {
  return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
}
export function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
export function u16le(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
export function u32le(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/** Dotted-quad text of a 32-bit IPv4 address. */
export function ipv4ToString(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

const hex2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `aa:bb:cc:dd:ee:ff` for a MAC address (or any bytes). */
export function macToString(b: Uint8Array, o = 0, len = 6): string {
  let s = '';
  for (let i = 0; i < len; i++) s += (i ? ':' : '') + hex2[b[o + i]];
  return s;
}

/** Plain lower-case hex of bytes, as tshark prints FT_BYTES in `-T fields`. */
export function toHex(b: Uint8Array, sep = ''): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (i && sep ? sep : '') + hex2[b[i]];
  return s;
}

/** RFC 5952 text of an IPv6 address (longest run of zero groups compressed, first on ties). */
export function ipv6ToString(b: Uint8Array, o = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[o + 2 * i] << 8) | b[o + 2 * i + 1]);
  // IPv4-mapped / compatible forms as Wireshark prints them (::ffff:1.2.3.4).
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s && !s.endsWith(':')) s += ':';
    s += g[i].toString(16);
  }
  return s;
}

/** Internet checksum (RFC 1071) over `b[o..o+len)` added to `initial` (a partial sum). */
export function onesComplementSum(b: Uint8Array, o: number, len: number, initial = 0): number {
  let sum = initial;
  const end = o + len - 1;
  let i = o;
  for (; i < end; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i === end) sum += b[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum;
}
