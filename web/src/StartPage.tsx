// Start page (Wireshark's welcome screen): open a file on the server or upload one, recent files, live capture points.
import { useEffect, useState } from 'react';
import { api, errorMessage, type BrowseResult, type Info, type Point } from './api';
import { formatBytes, formatCount, formatDate } from './format';
import { Dialog, Sparkline, Spinner } from './ui';
import { go } from './route';
import { markLive } from './CaptureView';

function FileBrowser(props: { start: string | undefined; onPick: (path: string) => void; onClose: () => void }) {
  const [dir, setDir] = useState<BrowseResult | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const load = (p?: string) => { setErr(null); api.browse(p).then(setDir, (e) => setErr(errorMessage(e))); };
  useEffect(() => load(props.start), []);
  const join = (d: string, n: string) => (d.endsWith('/') ? d + n : d + '/' + n);
  return (
    <Dialog title="Open capture file on the server" onClose={props.onClose} testId="browse-dialog">
      <div className="browse-path">
        <button className="icon" title="Parent folder" disabled={!dir?.parent} onClick={() => dir?.parent && load(dir.parent)}>..</button>
        <code>{dir?.path ?? '…'}</code>
      </div>
      {err && <div className="error-box">{err}</div>}
      {!dir && !err && <Spinner />}
      {dir && (
        <div className="table-wrap browse">
          <table className="grid">
            <thead><tr><th>Name</th><th className="num" style={{ width: 90 }}>Size</th><th style={{ width: 150 }}>Modified</th></tr></thead>
            <tbody>
              {dir.entries.map((e) => (
                <tr key={e.name} className={e.dir ? 'dir' : 'file'} data-name={e.name}
                  onDoubleClick={() => (e.dir ? load(join(dir.path, e.name)) : props.onPick(join(dir.path, e.name)))}
                  onClick={() => (e.dir ? load(join(dir.path, e.name)) : props.onPick(join(dir.path, e.name)))}>
                  <td>{e.name}{e.dir ? '/' : ''}</td>
                  <td className="num">{e.dir ? '' : formatBytes(e.size)}</td>
                  <td>{formatDate(e.mtime)}</td>
                </tr>
              ))}
              {dir.entries.length === 0 && <tr><td colSpan={3} className="empty">Empty folder</td></tr>}
            </tbody>
          </table>
        </div>
      )}
    </Dialog>
  );
}

/** Packets per second of each point, the last minute; reconnects when the list of points changes (the server rates the points it knows). */
function usePointRates(pointsKey: string | null, onNewPoints: () => void): Record<string, number[]> {
  const [rates, setRates] = useState<Record<string, number[]>>({});
  useEffect(() => {
    if (pointsKey === null) return;
    const es = new EventSource(api.ratesUrl());
    const onRates = (ev: MessageEvent) => {
      try {
        const r = JSON.parse(ev.data) as Record<string, number>;
        setRates((old) => {
          const next: Record<string, number[]> = {};
          for (const [id, v] of Object.entries(r)) next[id] = [...(old[id] ?? []), v].slice(-60);
          return next;
        });
      } catch { /* ignore a malformed event */ }
    };
    es.addEventListener('rates', onRates as EventListener);
    // The server noticed a point come or go (a container started): list them again.
    es.addEventListener('points', () => onNewPoints());
    es.onmessage = onRates;
    return () => es.close();
  }, [pointsKey]);
  return rates;
}

function LiveCapture() {
  const [points, setPoints] = useState<Point[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [filter, setFilter] = useState('');
  const [snaplen, setSnaplen] = useState('');
  const [ring, setRing] = useState(false);
  const [ringSize, setRingSize] = useState('100');
  const [ringFiles, setRingFiles] = useState('5');
  const [starting, setStarting] = useState(false);
  // The list follows interfaces, namespaces and containers as they come and go.
  const loadPoints = () => api.points().then((p) => { setPoints(p); setErr(null); }, (e) => setErr(errorMessage(e)));
  const rates = usePointRates(points ? points.map((p) => p.id).join(' ') : null, () => void loadPoints());
  useEffect(() => {
    void loadPoints();
    const t = setInterval(() => void loadPoints(), 5000);
    return () => clearInterval(t);
  }, []);
  const toggle = (id: string, only = false) => setChosen((s) => {
    const n = new Set(only ? [] : s);
    if (s.has(id) && !only) n.delete(id); else n.add(id);
    return n;
  });
  const start = async (ids = [...chosen]) => {
    if (!ids.length) return;
    setStarting(true); setErr(null);
    try {
      const body: Parameters<typeof api.startLive>[0] = { points: ids };
      if (filter.trim()) body.filter = filter.trim();
      if (snaplen.trim()) body.snaplen = Number(snaplen);
      if (ring) body.ring = { fileSizeMB: Number(ringSize), files: Number(ringFiles) };
      const r = await api.startLive(body);
      markLive(r.id);
      go(`/c/${encodeURIComponent(r.id)}`);
    } catch (e) { setErr(errorMessage(e)); } finally { setStarting(false); }
  };
  const groups = new Map<string, Point[]>();
  for (const p of points ?? []) groups.set(p.kind, [...(groups.get(p.kind) ?? []), p]);
  const KIND: Record<string, string> = { iface: 'Interfaces', container: 'Containers', pod: 'Pods', netns: 'Network namespaces' };
  return (
    <section className="card capture-card" data-testid="live-capture">
      <h2>Capture <button className="icon" title="Refresh the capture points" aria-label="Refresh" onClick={() => void loadPoints()}>↻</button></h2>
      <div className="capture-filter">
        <label htmlFor="cf">…using this capture filter:</label>
        <input id="cf" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="Enter a capture filter (BPF) … e.g. tcp port 1521"
          spellCheck={false} data-testid="capture-filter" onKeyDown={(e) => { if (e.key === 'Enter') void start(); }} />
      </div>
      {err && <div className="error-box" role="alert">{err}</div>}
      {!points && !err && <Spinner />}
      <div className="points">
        {[...groups].map(([kind, ps]) => (
          <div key={kind} className="point-group">
            <div className="point-kind">{KIND[kind] ?? kind}</div>
            {ps.map((p) => (
              <div key={p.id} className={'point' + (chosen.has(p.id) ? ' chosen' : '') + (p.up === false ? ' down' : '')} data-point={p.id}
                onClick={(e) => toggle(p.id, !(e.ctrlKey || e.metaKey || e.shiftKey))} onDoubleClick={() => void start([p.id])}
                title={`${p.addresses?.join(', ') ?? ''}\nDouble-click to start capturing; Ctrl-click to choose several`}>
                <input type="checkbox" checked={chosen.has(p.id)} readOnly aria-label={p.label} />
                <span className="point-label">{p.label}</span>
                <span className="point-addr muted">{p.addresses?.slice(0, 2).join(' ')}</span>
                <Sparkline values={rates[p.id] ?? []} />
                <span className="point-rate muted">{rates[p.id]?.at(-1) ?? 0}/s</span>
              </div>
            ))}
          </div>
        ))}
        {points && points.length === 0 && <div className="muted">No capture points (capturing needs root on the server).</div>}
      </div>
      <div className="capture-options">
        <label>Snapshot length <input value={snaplen} onChange={(e) => setSnaplen(e.target.value.replace(/\D/g, ''))} placeholder="262144" style={{ width: 70 }} /></label>
        <label><input type="checkbox" checked={ring} onChange={(e) => setRing(e.target.checked)} /> Ring buffer</label>
        {ring && <>
          <label>file size <input value={ringSize} onChange={(e) => setRingSize(e.target.value.replace(/\D/g, ''))} style={{ width: 50 }} /> MB</label>
          <label>files <input value={ringFiles} onChange={(e) => setRingFiles(e.target.value.replace(/\D/g, ''))} style={{ width: 40 }} /></label>
        </>}
        <span className="spacer" />
        <button className="primary" disabled={!chosen.size || starting} onClick={() => void start()} data-testid="capture-start">
          {starting ? 'Starting…' : `▶ Start capture${chosen.size > 1 ? ` on ${chosen.size} points` : ''}`}
        </button>
      </div>
    </section>
  );
}

export function StartPage() {
  const [info, setInfo] = useState<Info | null>(null);
  const [caps, setCaps] = useState<{ id: string; name: string; packets: number; complete: boolean }[]>([]);
  const [err, setErr] = useState<string | null>(null);
  const [path, setPath] = useState('');
  const [browsing, setBrowsing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [drag, setDrag] = useState(false);
  const [cmp, setCmp] = useState<string[]>([]);
  useEffect(() => {
    api.info().then(setInfo, (e) => setErr(errorMessage(e)));
    api.captures().then(setCaps, () => {});
  }, []);
  const open = async (p: string) => {
    if (!p.trim()) return;
    setBusy(true); setErr(null);
    try { const r = await api.open(p.trim()); go(`/c/${encodeURIComponent(r.id)}`); } catch (e) { setErr(errorMessage(e)); } finally { setBusy(false); }
  };
  const upload = async (f: File) => {
    if (info?.maxUpload && f.size > info.maxUpload) {
      setErr(`${f.name} is ${formatBytes(f.size)}; the server takes uploads up to ${formatBytes(info.maxUpload)} (wiresage ui --max-upload MB), or open it by its path on the server`);
      return;
    }
    setBusy(true); setErr(null);
    try { const r = await api.upload(f); go(`/c/${encodeURIComponent(r.id)}`); } catch (e) { setErr(errorMessage(e)); } finally { setBusy(false); }
  };
  return (
    <div className={'start' + (drag ? ' dragging' : '')}
      onDragOver={(e) => { e.preventDefault(); setDrag(true); }} onDragLeave={() => setDrag(false)}
      onDrop={(e) => { e.preventDefault(); setDrag(false); const f = e.dataTransfer.files[0]; if (f) void upload(f); }}>
      <header className="start-head">
        <span className="logo">wiresage</span>
        <span className="muted">packet captures into answers{info ? ` · ${info.version}` : ''}</span>
      </header>
      <div className="start-grid">
        <div className="start-col">
          <section className="card" data-testid="open-file">
            <h2>Open</h2>
            <div className="open-row">
              <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/on/the/server/capture.pcapng" spellCheck={false}
                aria-label="Capture file path" data-testid="open-path" onKeyDown={(e) => { if (e.key === 'Enter') void open(path); }} />
              <button onClick={() => void open(path)} disabled={busy || !path.trim()} data-testid="open-button">Open</button>
              <button onClick={() => setBrowsing(true)} title="Browse the server's allowed folders">Browse…</button>
              <label className="button" title="Upload a capture file from this computer">
                Upload…<input type="file" hidden accept=".pcap,.pcapng,.cap,.gz,.pcap.gz,.pcapng.gz,application/vnd.tcpdump.pcap"
                  onChange={(e) => { const f = e.target.files?.[0]; if (f) void upload(f); }} />
              </label>
            </div>
            {busy && <div className="muted"><Spinner /> opening…</div>}
            {err && <div className="error-box" role="alert">{err}</div>}
            {info && info.roots.length > 0 && <div className="muted small">Allowed folders: {info.roots.join(', ')} · or drop a file anywhere on this page</div>}
            <h3>Recent capture files</h3>
            <ul className="recent" data-testid="recent">
              {info?.recent.map((r) => (
                <li key={r.path ?? r.captureId ?? r.name}>
                  {/* Uploads have no path to show (they are stored privately): they reopen by their capture. */}
                  <button className="link" onClick={() => (r.path ? void open(r.path) : r.captureId ? go(`/c/${encodeURIComponent(r.captureId)}`) : undefined)}
                    title={r.path ?? `${r.name} (uploaded)`}>{r.name}</button>
                  <span className="muted"> ({formatBytes(r.size)}) {formatDate(r.mtime)}</span>
                  <span className="muted small recent-path"> {r.path ?? 'uploaded'}</span>
                </li>
              ))}
              {info && info.recent.length === 0 && <li className="muted">None yet</li>}
            </ul>
          </section>
          {caps.length > 0 && (
            <section className="card" data-testid="open-captures">
              <h2>Open captures</h2>
              <table className="grid">
                <thead><tr><th style={{ width: 28 }} title="Choose two to compare">⇄</th><th>Name</th><th className="num">Packets</th><th /></tr></thead>
                <tbody>
                  {caps.map((c) => (
                    <tr key={c.id}>
                      <td><input type="checkbox" checked={cmp.includes(c.id)} aria-label={`Compare ${c.name}`}
                        onChange={(e) => setCmp((s) => (e.target.checked ? [...s, c.id].slice(-2) : s.filter((x) => x !== c.id)))} /></td>
                      <td><button className="link" onClick={() => go(`/c/${encodeURIComponent(c.id)}`)}>{c.name}</button></td>
                      <td className="num">{formatCount(c.packets)}{c.complete ? '' : '…'}</td>
                      <td><a href={api.downloadUrl(c.id)} download>pcapng</a></td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <button disabled={cmp.length !== 2} onClick={() => go(`/compare/${encodeURIComponent(cmp[0])}/${encodeURIComponent(cmp[1])}`)} data-testid="compare-button">
                Compare the two chosen captures side by side
              </button>
            </section>
          )}
        </div>
        <div className="start-col">
          <LiveCapture />
        </div>
      </div>
      {browsing && <FileBrowser start={info?.roots[0]} onClose={() => setBrowsing(false)} onPick={(p) => { setBrowsing(false); setPath(p); void open(p); }} />}
    </div>
  );
}
