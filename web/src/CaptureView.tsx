// The packet view: toolbar, filter bar, diagnosis on top, packet list, detail tree and bytes, status bar; live updates by SSE.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, errorMessage, type CaptureInfo, type FrameDetail, type Finding, type Findings, type Row, type TreeNode } from './api';
import { BytesPane } from './BytesPane';
import { DetailTree, nodeAt, nodeKey } from './DetailTree';
import { DiagnosisPanel } from './Diagnosis';
import { FilterBar } from './FilterBar';
import { FlowGraphDialog, type FlowSource } from './FlowGraph';
import { FollowDialog } from './Follow';
import { IoGraphDialog } from './IoGraph';
import { PacketList, type PacketListHandle } from './PacketList';
import { RowStore } from './rows';
import { ConversationsDialog, EndpointsDialog, ExpertDialog, HierarchyDialog } from './Stats';
import { addressFilter, nodeFilter, setFilter, streamOf } from './tree-util';
import { formatBytes, formatCount, TIME_FORMATS, type TimeFormat } from './format';
import { ContextMenu, Progress, type MenuItem, type MenuState } from './ui';
import { go } from './route';

type DialogState =
  | { kind: 'follow'; proto: string; stream: number }
  | { kind: 'flow'; source: FlowSource }
  | { kind: 'conversations' } | { kind: 'endpoints' } | { kind: 'expert' } | { kind: 'hierarchy' } | { kind: 'io' }
  | null;

const LIVE_KEY = 'wiresage.live';
export function markLive(id: string) {
  const s = new Set<string>(JSON.parse(sessionStorage.getItem(LIVE_KEY) ?? '[]') as string[]);
  s.add(id);
  sessionStorage.setItem(LIVE_KEY, JSON.stringify([...s]));
}
function isMarkedLive(id: string) {
  return (JSON.parse(sessionStorage.getItem(LIVE_KEY) ?? '[]') as string[]).includes(id);
}

function findingsOf(x: unknown): Finding[] | null {
  if (Array.isArray(x)) return x as Finding[];
  if (x && typeof x === 'object' && Array.isArray((x as Findings).findings)) return (x as Findings).findings;
  return null;
}

export function CaptureView(props: { id: string }) {
  const { id } = props;
  const [info, setInfo] = useState<CaptureInfo | null>(null);
  const [infoErr, setInfoErr] = useState<string | null>(null);
  const [filter, setFilterText] = useState('');
  const [prepared, setPrepared] = useState<{ text: string; n: number } | null>(null);
  const [viewId, setViewId] = useState<string | null>(null);
  const [viewProg, setViewProg] = useState<{ matched: number; progress: number; complete: boolean } | null>(null);
  const [version, setVersion] = useState(0);
  const bump = useCallback(() => setVersion((v) => v + 1), []);
  const store = useMemo(() => new RowStore(id, viewId, bump), [id, viewId, bump]);
  useEffect(() => () => store.dispose(), [store]);
  const [sel, setSel] = useState<{ index: number; no: number } | null>(null);
  const pendingGoto = useRef<number | null>(null);
  const [detail, setDetail] = useState<FrameDetail | null>(null);
  const [detailErr, setDetailErr] = useState<string | null>(null);
  const [selNode, setSelNode] = useState<TreeNode | null>(null);
  const [hoverNode, setHoverNode] = useState<TreeNode | null>(null);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [bufTab, setBufTab] = useState(0);
  const [timeFormat, setTimeFormat] = useState<TimeFormat>(() => (localStorage.getItem('wiresage.timeFormat') as TimeFormat) || 'relative');
  const [findings, setFindings] = useState<Finding[] | null>(null);
  const [findErr, setFindErr] = useState<string | null>(null);
  const [diagCollapsed, setDiagCollapsed] = useState(false);
  const [dialog, setDialog] = useState<DialogState>(null);
  const [menu, setMenu] = useState<MenuState | null>(null);
  const [autoScroll, setAutoScroll] = useState(true);
  const [stopping, setStopping] = useState(false);
  const [listH, setListH] = useState<number | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const list = useRef<PacketListHandle>(null);
  const live = !!info && (info.live === true || (isMarkedLive(id) && !info.complete));

  useEffect(() => { localStorage.setItem('wiresage.timeFormat', timeFormat); }, [timeFormat]);
  useEffect(() => { if (info) document.title = `${info.name} — wiresage`; }, [info?.name]);

  // Capture info and its first page.
  useEffect(() => {
    setInfo(null); setInfoErr(null); setFindings(null);
    api.capture(id).then(setInfo, (e) => setInfoErr(errorMessage(e)));
  }, [id]);
  useEffect(() => { void store.first(); }, [store]);

  const loadFindings = useCallback(() => {
    api.findings(id).then((r) => { setFindings(findingsOf(r) ?? []); setFindErr(null); }, (e) => setFindErr(errorMessage(e)));
  }, [id]);
  useEffect(() => { if (info) loadFindings(); }, [info?.complete, loadFindings]);

  // Progress and findings as they change (file still loading, or live capture).
  useEffect(() => {
    if (!info || (info.complete && !live)) return;
    const es = new EventSource(api.eventsUrl(id));
    es.addEventListener('progress', (ev) => {
      try {
        const p = JSON.parse((ev as MessageEvent).data) as { packets: number; complete: boolean; progress: number; size?: number };
        // The file grows while a live capture runs: its size follows.
        setInfo((i) => (i ? { ...i, packets: p.packets, complete: p.complete, progress: p.progress, ...(p.size !== undefined ? { size: p.size } : {}) } : i));
        if (!viewId) store.grow(p.packets, p.complete);
        if (p.complete) es.close();
      } catch { /* ignore malformed event */ }
    });
    es.addEventListener('findings', (ev) => {
      try { const f = findingsOf(JSON.parse((ev as MessageEvent).data)); if (f) setFindings(f); else loadFindings(); } catch { loadFindings(); }
    });
    return () => es.close();
  }, [id, info?.complete, live, store, viewId]);

  // A filtered view: poll its progress until complete (and while a live capture grows).
  useEffect(() => {
    if (!viewId) { setViewProg(null); return; }
    setViewProg({ matched: 0, progress: 0, complete: false });
    let stop = false;
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      try {
        const v = await api.view(id, viewId);
        if (stop) return;
        setViewProg({ matched: v.matched, progress: v.progress, complete: v.complete });
        store.grow(v.matched, v.complete);
        if (!v.complete || live) timer = setTimeout(tick, v.complete ? 1000 : 250);
      } catch (e) { if (!stop) setNotice(errorMessage(e)); }
    };
    void tick();
    return () => { stop = true; clearTimeout(timer); };
  }, [id, viewId, store, live]);

  // Frame detail for the selection.
  useEffect(() => {
    if (!sel) { setDetail(null); return; }
    let stop = false;
    setDetailErr(null);
    api.frame(id, sel.no).then((d) => {
      if (stop) return;
      setDetail(d);
      // Keep the same field selected when moving between packets, as Wireshark does.
      setSelNode((old) => {
        if (!old) return null;
        const want = old.field;
        const find = (ns: TreeNode[]): TreeNode | null => { for (const n of ns) { if (want && n.field === want) return n; const c = n.children && find(n.children); if (c) return c; } return null; };
        return want ? find(d.tree) : null;
      });
    }, (e) => { if (!stop) { setDetail(null); setDetailErr(errorMessage(e)); } });
    return () => { stop = true; };
  }, [id, sel?.no]);
  useEffect(() => { if (selNode && detail) setBufTab(selNode.buffer ?? 0); else setBufTab(0); }, [selNode, detail]);

  // After a page arrives, resolve a pending "go to frame" if the frame is now known.
  useEffect(() => {
    const want = pendingGoto.current;
    if (want === null) return;
    const idx = viewId ? findLoaded(store, want) : want - 1;
    if (idx !== null && idx >= 0 && idx < store.total && store.get(idx)?.no === want) {
      pendingGoto.current = null;
      setSel({ index: idx, no: want });
      list.current?.scrollTo(idx);
    } else if (!viewId && store.total > 0) store.ensure(want - 1, want);
  }, [version, store, viewId]);

  const applyFilter = useCallback(async (f: string) => {
    setNotice(null);
    setFilterText(f);
    const keep = sel?.no ?? null;
    if (!f) { setViewId(null); if (keep) pendingGoto.current = keep; return; }
    try {
      const r = await api.createView(id, f);
      setViewProg({ matched: 0, progress: 0, complete: false });
      setViewId(r.viewId);
      setSel(null);
    } catch (e) { setNotice(errorMessage(e)); }
  }, [id, sel?.no]);

  const prepare = (f: string) => setPrepared({ text: f, n: Date.now() });
  const onFilterAction = (f: string, apply: boolean) => (apply ? void applyFilter(f) : prepare(f));

  const gotoFrame = useCallback((no: number) => {
    if (!viewId) { pendingGoto.current = no; setVersion((v) => v + 1); store.ensure(no - 1, no); return; }
    const idx = findLoaded(store, no);
    if (idx !== null) { setSel({ index: idx, no }); list.current?.scrollTo(idx); return; }
    // Not in the displayed packets: clear the filter, as Wireshark's "Go to packet" does for hidden packets.
    pendingGoto.current = no;
    setFilterText('');
    setViewId(null);
  }, [viewId, store]);

  const act = {
    frame: (no: number) => gotoFrame(no),
    frames: (nos: number[]) => void applyFilter(setFilter(nos, 'frame.number')),
    streams: (ids: number[]) => void applyFilter(setFilter(ids, 'tcp.stream')),
    address: (a: string) => void applyFilter(addressFilter(a)),
    flow: async (f: Finding) => {
      const streams = f.evidence.streams ?? [];
      if (streams.length === 1) { setDialog({ kind: 'flow', source: { stream: streams[0] } }); return; }
      if (streams.length > 1) {
        try {
          const v = await api.createView(id, setFilter(streams, 'tcp.stream'));
          setDialog({ kind: 'flow', source: { view: v.viewId, label: `streams ${streams.join(', ')}` } });
        } catch (e) { setNotice(errorMessage(e)); }
        return;
      }
      setDialog({ kind: 'flow', source: { frames: f.evidence.frames ?? [], label: 'evidence frames' } });
    },
  };

  const currentStream = () => (detail ? streamOf(detail.tree) : null);
  const follow = async (want?: 'tcp' | 'udp') => {
    let s = currentStream();
    if (!s && sel) { try { s = streamOf((await api.frame(id, sel.no)).tree); } catch { /* below */ } }
    if (!s || (want && s.proto !== want)) { setNotice(`Select a ${want?.toUpperCase() ?? 'TCP or UDP'} packet to follow its stream.`); return; }
    setDialog({ kind: 'follow', proto: s.proto, stream: s.stream });
  };
  const flowGraph = () => {
    const s = currentStream();
    if (s && s.proto === 'tcp' && !viewId) setDialog({ kind: 'flow', source: { stream: s.stream } });
    else if (viewId) setDialog({ kind: 'flow', source: { view: viewId, label: `displayed packets (${filter})` } });
    else if (s && s.proto === 'tcp') setDialog({ kind: 'flow', source: { stream: s.stream } });
    else setNotice('Select a TCP packet, or filter the packets to draw, then open the flow graph.');
  };

  const onRowMenu = async (_i: number, r: Row, e: React.MouseEvent) => {
    const x = e.clientX, y = e.clientY;
    let s: ReturnType<typeof streamOf> = null;
    try { s = streamOf((await api.frame(id, r.no)).tree); } catch { /* no stream */ }
    const items: MenuItem[] = [
      { label: `Follow TCP Stream${s?.proto === 'tcp' ? ` (tcp.stream ${s.stream})` : ''}`, disabled: s?.proto !== 'tcp', onClick: () => s && setDialog({ kind: 'follow', proto: 'tcp', stream: s.stream }) },
      { label: `Follow UDP Stream${s?.proto === 'udp' ? ` (udp.stream ${s.stream})` : ''}`, disabled: s?.proto !== 'udp', onClick: () => s && setDialog({ kind: 'follow', proto: 'udp', stream: s.stream }) },
      { label: 'Flow Graph of this stream', disabled: s?.proto !== 'tcp', onClick: () => s && setDialog({ kind: 'flow', source: { stream: s.stream } }) },
      { separator: true, label: '' },
      { label: 'Conversation Filter (this stream)', disabled: !s, onClick: () => s && void applyFilter(`${s.proto}.stream eq ${s.stream}`) },
      { label: 'Prepare Conversation Filter', disabled: !s, onClick: () => s && prepare(`${s.proto}.stream eq ${s.stream}`) },
      { label: 'Filter out this stream', disabled: !s, onClick: () => s && void applyFilter(`!(${s.proto}.stream eq ${s.stream})`) },
      { separator: true, label: '' },
      { label: 'Copy summary line', onClick: () => void navigator.clipboard?.writeText(`${r.no}\t${r.time}\t${r.src}\t${r.dst}\t${r.proto}\t${r.len}\t${r.info}`) },
    ];
    setMenu({ x, y, items });
  };

  const onNodeMenu = async (n: TreeNode, e: React.MouseEvent) => {
    const x = e.clientX, y = e.clientY;
    const f = await nodeFilter(n);
    const cur = filter.trim();
    const items: MenuItem[] = [
      { label: 'Apply as Filter: Selected', disabled: !f, onClick: () => f && void applyFilter(f) },
      { label: 'Apply as Filter: Not Selected', disabled: !f, onClick: () => f && void applyFilter(`!(${f})`) },
      { label: 'Apply as Filter: …and Selected', disabled: !f || !cur, onClick: () => f && void applyFilter(`(${cur}) && ${f}`) },
      { label: 'Apply as Filter: …or Selected', disabled: !f || !cur, onClick: () => f && void applyFilter(`(${cur}) || ${f}`) },
      { label: 'Prepare as Filter: Selected', disabled: !f, onClick: () => f && prepare(f) },
      { label: 'Prepare as Filter: Not Selected', disabled: !f, onClick: () => f && prepare(`!(${f})`) },
      { separator: true, label: '' },
      { label: 'Expand Subtrees', disabled: !n.children?.length, onClick: () => expandAll([n], true) },
      { label: 'Collapse Subtrees', disabled: !n.children?.length, onClick: () => expandAll([n], false) },
      { label: 'Expand All', onClick: () => detail && expandAll(detail.tree, true) },
      { label: 'Collapse All', onClick: () => setExpanded(new Set()) },
      { separator: true, label: '' },
      { label: `Copy field name${n.field ? ` (${n.field})` : ''}`, disabled: !n.field, onClick: () => void navigator.clipboard?.writeText(n.field ?? '') },
      { label: 'Copy value', disabled: n.value === undefined, onClick: () => void navigator.clipboard?.writeText(String(n.value ?? '')) },
      { label: 'Copy as filter', disabled: !f, onClick: () => void navigator.clipboard?.writeText(f ?? '') },
    ];
    setMenu({ x, y, items });
  };

  const findPath = (target: TreeNode): TreeNode[] | null => {
    const walk = (ns: TreeNode[], p: TreeNode[]): TreeNode[] | null => {
      for (const n of ns) { const q = [...p, n]; if (n === target) return q; const c = n.children && walk(n.children, q); if (c) return c; }
      return null;
    };
    return detail ? walk(detail.tree, []) : null;
  };
  const expandAll = (nodes: TreeNode[], open: boolean) => {
    setExpanded((old) => {
      const s = new Set(old);
      const walk = (ns: TreeNode[], parents: TreeNode[]) => {
        for (const n of ns) {
          const p = [...parents, n];
          if (n.children?.length) { if (open) s.add(nodeKey(p)); else s.delete(nodeKey(p)); walk(n.children, p); }
        }
      };
      for (const n of nodes) { const p = findPath(n) ?? [n]; walk([n], p.slice(0, -1)); }
      return s;
    });
  };
  const selectNode = (n: TreeNode, path: TreeNode[]) => {
    setSelNode(n);
    // Make the chosen item visible (its parents open).
    setExpanded((old) => { const s = new Set(old); for (let i = 1; i < path.length; i++) s.add(nodeKey(path.slice(0, i))); return s; });
  };

  const stop = async () => {
    setStopping(true);
    try { await api.stopLive(id); const i = await api.capture(id); setInfo(i); } catch (e) { setNotice(errorMessage(e)); } finally { setStopping(false); }
  };

  // Global shortcuts (Wireshark's): Ctrl-/ filter bar, Ctrl-Alt-Shift-T follow TCP, Ctrl-G go to packet.
  useEffect(() => {
    const k = (e: KeyboardEvent) => {
      if (e.ctrlKey && e.key === '/') { (document.querySelector('[data-testid=filter-input]') as HTMLInputElement | null)?.focus(); e.preventDefault(); }
      else if (e.ctrlKey && e.key.toLowerCase() === 'g') {
        e.preventDefault();
        const v = window.prompt('Go to packet');
        if (v && /^\d+$/.test(v.trim())) gotoFrame(Number(v.trim()));
      }
    };
    window.addEventListener('keydown', k);
    return () => window.removeEventListener('keydown', k);
  }, [gotoFrame]);

  // Splitter between the packet list and the details.
  const dragSplit = (e: React.MouseEvent) => {
    const startY = e.clientY;
    const el = (e.currentTarget as HTMLElement).previousElementSibling as HTMLElement;
    const h0 = el.getBoundingClientRect().height;
    const move = (m: MouseEvent) => setListH(Math.max(80, h0 + m.clientY - startY));
    const up = () => { window.removeEventListener('mousemove', move); window.removeEventListener('mouseup', up); };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
    e.preventDefault();
  };

  if (infoErr) return (
    <div className="start"><div className="card error-box" role="alert">Cannot open capture {id}: {infoErr} <button className="link" onClick={() => go('/')}>Back to the start page</button></div></div>
  );

  const total = info?.packets ?? store.total;
  const displayed = viewId ? store.total : total;
  const hl = selNode && selNode.length > 0 ? { buffer: selNode.buffer ?? 0, start: selNode.start, length: selNode.length } : null;
  const status = hoverNode ?? selNode;
  return (
    <div className="capture-view">
      <nav className="toolbar" aria-label="Toolbar">
        <button className="logo-btn" title="Start page" onClick={() => go('/')}>wiresage</button>
        <span className="cap-name" title={info?.name}>{info?.name ?? '…'}</span>
        <span className="tb-sep" />
        {live && <button className="danger" onClick={() => void stop()} disabled={stopping} data-testid="stop-capture" title="Stop capturing">■ Stop</button>}
        {live && <label className="tb-check" title="Scroll to the newest packet as it arrives"><input type="checkbox" checked={autoScroll} onChange={(e) => setAutoScroll(e.target.checked)} /> Auto-scroll</label>}
        <a className="button" href={api.downloadUrl(id)} download title="Download the capture as pcapng" data-testid="download">⤓ pcapng</a>
        <span className="tb-sep" />
        <button onClick={() => void follow()} data-testid="tb-follow" title="Follow the selected packet's TCP/UDP stream">Follow</button>
        <button onClick={flowGraph} data-testid="tb-flow" title="Flow graph of the selected stream, or of the displayed packets">Flow Graph</button>
        <button onClick={() => setDialog({ kind: 'conversations' })} data-testid="tb-conversations">Conversations</button>
        <button onClick={() => setDialog({ kind: 'endpoints' })} data-testid="tb-endpoints">Endpoints</button>
        <button onClick={() => setDialog({ kind: 'expert' })} data-testid="tb-expert">Expert Info</button>
        <button onClick={() => setDialog({ kind: 'io' })} data-testid="tb-io">I/O Graph</button>
        <button onClick={() => setDialog({ kind: 'hierarchy' })} data-testid="tb-hierarchy">Protocol Hierarchy</button>
        <span className="spacer" />
        <label className="tb-time">Time{' '}
          <select value={timeFormat} onChange={(e) => setTimeFormat(e.target.value as TimeFormat)} aria-label="Time display format" data-testid="time-format">
            {TIME_FORMATS.map((t) => <option key={t.id} value={t.id}>{t.label}</option>)}
          </select>
        </label>
      </nav>
      <FilterBar applied={filter} onApply={(f) => void applyFilter(f)} prepared={prepared}
        progress={viewProg && !viewProg.complete ? { value: viewProg.progress, label: `${formatCount(viewProg.matched)} matched, ${Math.round(viewProg.progress * 100)}%` } : null} />
      {notice && <div className="notice" role="alert">{notice} <button className="icon" onClick={() => setNotice(null)} aria-label="Dismiss">✕</button></div>}
      <DiagnosisPanel findings={findings} error={findErr} live={live} collapsed={diagCollapsed} onCollapse={setDiagCollapsed} act={act} />
      <div className="panes">
        <div className="list-pane" style={listH ? { flex: `0 0 ${listH}px` } : undefined}>
          <PacketList store={store} version={version} selected={sel?.index ?? null} timeFormat={timeFormat} handle={list}
            autoScroll={live && autoScroll}
            onSelect={(index, r) => { if (r) setSel({ index, no: r.no }); }}
            onActivate={() => void follow()}
            onContextMenu={(i, r, e) => void onRowMenu(i, r, e)} />
        </div>
        <div className="splitter" onMouseDown={dragSplit} role="separator" aria-orientation="horizontal" title="Drag to resize" />
        <div className="detail-pane">
          <div className="tree-wrap">
            {detailErr && <div className="error-box">{detailErr}</div>}
            {detail ? (
              <DetailTree tree={detail.tree} expanded={expanded} selected={selNode}
                onToggle={(k, open) => setExpanded((s) => { const n = new Set(s); if (open) n.add(k); else n.delete(k); return n; })}
                onSelect={selectNode} onHover={setHoverNode} onContextMenu={(n, e) => void onNodeMenu(n, e)} />
            ) : <div className="muted pad">{sel ? 'Loading…' : 'Select a packet to see its details.'}</div>}
          </div>
          <div className="bytes-wrap">
            {detail && <BytesPane buffers={detail.buffers} active={bufTab} onTab={setBufTab} range={hl}
              onByteClick={(b, off) => { const p = nodeAt(detail.tree, b, off); if (p) selectNode(p[p.length - 1], p); }} />}
          </div>
        </div>
      </div>
      <footer className="statusbar" data-testid="statusbar">
        <span className="st-field">
          {status ? <>{status.label.replace(/:.*$/, '')}{status.field ? <> (<code>{status.field}</code>)</> : null}{status.length ? `, ${status.length} byte${status.length === 1 ? '' : 's'}` : ''}</> : info?.name}
        </span>
        <span className="spacer" />
        {info && !info.complete && !live && <span><Progress value={info.progress} /> loading {Math.round(info.progress * 100)}%</span>}
        {live && <span className="live-dot">● capturing</span>}
        <span data-testid="packet-counts">Packets: {formatCount(total)}{viewId ? ` · Displayed: ${formatCount(displayed)} (${total ? ((100 * displayed) / total).toFixed(1) : '0.0'}%)` : ''}</span>
        {info && <span className="muted" data-testid="file-size">{formatBytes(info.size)}</span>}
      </footer>
      {dialog?.kind === 'follow' && <FollowDialog captureId={id} proto={dialog.proto} stream={dialog.stream} onClose={() => setDialog(null)} onFilter={(f) => void applyFilter(f)} onFrame={gotoFrame} />}
      {dialog?.kind === 'flow' && <FlowGraphDialog captureId={id} source={dialog.source} selectedFrame={sel?.no ?? null} onClose={() => setDialog(null)} onFrame={gotoFrame} />}
      {dialog?.kind === 'conversations' && <ConversationsDialog captureId={id} onClose={() => setDialog(null)} onFilter={onFilterAction} setMenu={setMenu}
        onFollow={(p, s) => setDialog({ kind: 'follow', proto: p, stream: s })} onFlow={(s) => setDialog({ kind: 'flow', source: { stream: s } })} />}
      {dialog?.kind === 'endpoints' && <EndpointsDialog captureId={id} onClose={() => setDialog(null)} onFilter={onFilterAction} setMenu={setMenu} />}
      {dialog?.kind === 'expert' && <ExpertDialog captureId={id} onClose={() => setDialog(null)} onFrame={gotoFrame} onFilter={onFilterAction} />}
      {dialog?.kind === 'hierarchy' && <HierarchyDialog captureId={id} onClose={() => setDialog(null)} onFilter={onFilterAction} setMenu={setMenu} />}
      {dialog?.kind === 'io' && <IoGraphDialog captureId={id} onClose={() => setDialog(null)}
        duration={info?.firstTime && info.lastTime ? Number(info.lastTime) - Number(info.firstTime) : 1} />}
      <ContextMenu menu={menu} onClose={() => setMenu(null)} />
    </div>
  );
}

/** Index of frame `no` among the rows already loaded, if it is there. */
function findLoaded(store: RowStore, no: number): number | null {
  for (let i = 0; i < store.total; i++) {
    const r = store.get(i);
    if (r?.no === no) return i;
    if (r && r.no > no) return null;
  }
  return null;
}
