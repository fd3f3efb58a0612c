/**
 * Pieces of the `read -V` vs `tshark -n -V` comparisons (src/cli/tree-text.test.ts for the
 * lower layers, src/protocols/*-tree tests for the application ones): a `-V` text cut into
 * frames, a frame cut to some of its top-level sections, and the lines two texts do not share.
 */

/** A listed difference: which side the line is on, its shape, and why it differs. */
export interface Rule {
  /** Which side the line is on: only in tshark's output, only in ours, or either. */
  side: 'tshark' | 'ours' | 'either';
  line: RegExp;
  reason: string;
}

/** The frames of a `-V` text, each from its `Frame N:` line (blank lines are dropped). */
export function frames(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split('\n')) {
    if (/^Frame \d+: /.test(line)) out.push([]);
    if (line !== '' && out.length) out[out.length - 1].push(line);
  }
  return out;
}

/** The lines of a frame's top-level sections whose heading `keep` accepts, in order. */
export function sectionLines(frame: string[], keep: (heading: string) => boolean): string[] {
  const out: string[] = [];
  let kept = false;
  for (const line of frame) {
    if (line[0] !== ' ') kept = keep(line);
    if (kept) out.push(line);
  }
  return out;
}

/** Lines of `a` and `b` outside their longest common subsequence. */
export function difference(a: string[], b: string[]): { ours: string[]; tshark: string[] } {
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  const ours: string[] = [];
  const tshark: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      i++;
      j++;
    } else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) ours.push(a[i++]);
    else tshark.push(b[j++]);
  }
  while (i < n) ours.push(a[i++]);
  while (j < m) tshark.push(b[j++]);
  return { ours, tshark };
}
