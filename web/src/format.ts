// Display formats: times arrive as strings of seconds ("1700000000.123456789") so no precision is lost.

export type TimeFormat = 'relative' | 'absolute' | 'datetime' | 'epoch' | 'delta';
export const TIME_FORMATS: { id: TimeFormat; label: string }[] = [
  { id: 'relative', label: 'Seconds since capture start' },
  { id: 'delta', label: 'Seconds since previous packet' },
  { id: 'absolute', label: 'Time of day' },
  { id: 'datetime', label: 'Date and time of day' },
  { id: 'epoch', label: 'Seconds since epoch (1970)' },
];

function splitSeconds(s: string): [number, string] {
  const neg = s.startsWith('-');
  const [i, f = ''] = (neg ? s.slice(1) : s).split('.');
  return [(neg ? -1 : 1) * Number(i), f];
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Fraction digits as Wireshark shows them: microseconds unless the capture has nanoseconds. */
function frac(f: string): string {
  const digits = f.length > 6 && /[1-9]/.test(f.slice(6)) ? 9 : 6;
  return (f + '000000000').slice(0, digits);
}

export function formatTime(row: { time: string; rel: string; delta: string }, fmt: TimeFormat): string {
  switch (fmt) {
    case 'relative': return fixed(row.rel);
    case 'delta': return fixed(row.delta);
    case 'epoch': return fixed(row.time);
    case 'absolute':
    case 'datetime': {
      const [sec, f] = splitSeconds(row.time);
      const d = new Date(sec * 1000);
      const tod = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${frac(f)}`;
      return fmt === 'absolute' ? tod : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${tod}`;
    }
  }
}

/** Seconds as a fixed-point string with 6 (or 9) fraction digits. */
export function fixed(s: string | number): string {
  const str = typeof s === 'number' ? s.toFixed(9) : s;
  const [i, f = ''] = str.split('.');
  return `${i}.${frac(f)}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024; let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatDate(t: number | string | undefined): string {
  if (t === undefined || t === '') return '';
  const d = typeof t === 'number' ? new Date(t < 1e12 ? t * 1000 : t) : new Date(/^\d+(\.\d+)?$/.test(t) ? Number(t) * 1000 : t);
  if (isNaN(d.getTime())) return String(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A display-filter value literal: bare when it is a plain token, quoted (with escapes) otherwise. */
export function filterLiteral(v: string, forceQuote = false): string {
  if (!forceQuote && /^[A-Za-z0-9_.:\-/]+$/.test(v)) return v;
  return '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}
