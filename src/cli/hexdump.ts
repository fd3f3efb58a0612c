/** Hex dumps in tcpdump's -x/-X layout: `\t0x0000:  4500 0054 ...  E..T`. */
export function hexDump(b: Uint8Array, start: number, end: number, ascii: boolean): string {
  const lines: string[] = [];
  for (let off = start; off < end; off += 16) {
    let hex = '';
    let text = '';
    for (let i = 0; i < 16; i++) {
      const at = off + i;
      if (i % 2 === 0) hex += ' ';
      if (at < end) {
        hex += b[at].toString(16).padStart(2, '0');
        text += b[at] >= 0x20 && b[at] < 0x7f ? String.fromCharCode(b[at]) : '.';
      } else hex += '  ';
    }
    const line = `\t0x${(off - start).toString(16).padStart(4, '0')}: ${hex}`;
    lines.push(ascii ? `${line}  ${text}` : line.trimEnd());
  }
  return lines.join('\n');
}
