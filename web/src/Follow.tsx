// Follow stream: both directions of a TCP/UDP stream, client red, server blue (Wireshark's colours), ASCII / hex dump / raw.
import { useEffect, useMemo, useState } from 'react';
import { api, errorMessage, fromBase64, type FollowData } from './api';
import { formatBytes } from './format';
import { Dialog, Spinner } from './ui';

type Mode = 'ascii' | 'hex' | 'raw';
type Dir = 'both' | '0' | '1';

function ascii(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += c === 10 || c === 13 || c === 9 || (c >= 0x20 && c < 0x7f) ? String.fromCharCode(c) : '.';
  return s;
}
function hexdump(b: Uint8Array, base: number, indent: boolean): string {
  const lines: string[] = [];
  for (let o = 0; o < b.length; o += 16) {
    const row = b.subarray(o, o + 16);
    const hex = Array.from(row, (x) => x.toString(16).padStart(2, '0'));
    const h = (hex.slice(0, 8).join(' ') + '  ' + hex.slice(8).join(' ')).padEnd(49);
    const a = Array.from(row, (x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
    lines.push(`${indent ? '    ' : ''}${(base + o).toString(16).padStart(8, '0')}  ${h} ${a}`);
  }
  return lines.join('\n') + '\n';
}

export function FollowDialog(props: {
  captureId: string; proto: string; stream: number; onClose: () => void; onFilter: (f: string) => void; onFrame: (no: number) => void;
}) {
  const [stream, setStream] = useState(props.stream);
  const [data, setData] = useState<FollowData | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [mode, setMode] = useState<Mode>('ascii');
  const [dir, setDir] = useState<Dir>('both');
  useEffect(() => {
    setData(null); setErr(null);
    api.follow(props.captureId, props.proto, stream).then(setData, (e) => setErr(errorMessage(e)));
  }, [props.captureId, props.proto, stream]);

  const chunks = useMemo(() => {
    if (!data) return [];
    const off = [0, 0];
    return data.chunks.map((c) => {
      const bytes = c.base64 !== undefined ? fromBase64(c.base64) : new Uint8Array();
      const base = off[c.dir];
      off[c.dir] += bytes.length + (c.missing ?? 0);
      return { dir: c.dir, frame: c.frame, missing: c.missing, bytes, base };
    });
  }, [data]);
  const proto = props.proto.toUpperCase();
  const filter = `${props.proto}.stream eq ${stream}`;
  const ep = (x: { addr: string; port: number } | null) => (x ? (x.addr.includes(':') ? `[${x.addr}]` : x.addr) + ':' + x.port : '?');

  return (
    <Dialog title={`Follow ${proto} Stream (${filter})`} onClose={props.onClose} wide testId="follow-dialog">
      <div className="follow">
        <div className="follow-text" data-testid="follow-text">
          {err && <div className="error-box">{err}</div>}
          {!data && !err && <Spinner />}
          {chunks.filter((c) => dir === 'both' || String(c.dir) === dir).map((c, i) => (
            <pre key={i} className={c.dir === 0 ? 'client' : 'server'} title={`Frame ${c.frame} — click to go to it`} onClick={() => props.onFrame(c.frame)}>
              {c.missing !== undefined ? `[${c.missing} bytes missing in capture file]\n` : mode === 'ascii' ? ascii(c.bytes) : mode === 'hex' ? hexdump(c.bytes, c.base, c.dir === 1) : Array.from(c.bytes, (x) => x.toString(16).padStart(2, '0')).join('') + '\n'}
            </pre>
          ))}
          {data && chunks.length === 0 && <div className="muted pad">This stream carries no payload.</div>}
        </div>
        {data && (
          <div className="follow-summary">
            <span className="client-text">{ep(data.client)} → {ep(data.server)} ({formatBytes(data.bytes[0])})</span>
            {'  '}
            <span className="server-text">{ep(data.server)} → {ep(data.client)} ({formatBytes(data.bytes[1])})</span>
            <span className="muted"> · {chunks.filter((c) => c.dir === 0).length} client pkts, {chunks.filter((c) => c.dir === 1).length} server pkts</span>
          </div>
        )}
        <div className="follow-controls">
          <label>
            <select value={dir} onChange={(e) => setDir(e.target.value as Dir)} aria-label="Direction">
              <option value="both">Entire conversation ({data ? formatBytes(data.bytes[0] + data.bytes[1]) : '…'})</option>
              {data && <option value="0">{ep(data.client)} → {ep(data.server)} ({formatBytes(data.bytes[0])})</option>}
              {data && <option value="1">{ep(data.server)} → {ep(data.client)} ({formatBytes(data.bytes[1])})</option>}
            </select>
          </label>
          <label>Show data as{' '}
            <select value={mode} onChange={(e) => setMode(e.target.value as Mode)} aria-label="Show data as" data-testid="follow-mode">
              <option value="ascii">ASCII</option><option value="hex">Hex Dump</option><option value="raw">Raw</option>
            </select>
          </label>
          <label>Stream{' '}
            <input type="number" min={0} value={stream} style={{ width: 70 }} aria-label="Stream"
              onChange={(e) => { const n = Number(e.target.value); if (Number.isInteger(n) && n >= 0) setStream(n); }} />
          </label>
          <span className="spacer" />
          <button onClick={() => { props.onFilter(filter); props.onClose(); }}>Filter to this stream</button>
          <button onClick={() => { props.onFilter(`!(${filter})`); props.onClose(); }}>Filter out this stream</button>
          <button onClick={props.onClose}>Close</button>
        </div>
      </div>
    </Dialog>
  );
}
