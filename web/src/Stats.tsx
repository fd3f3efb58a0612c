// Statistics dialogs: Conversations, Endpoints, Expert Information, Protocol Hierarchy.
import { Fragment, useEffect, useState } from 'react';
import { api, errorMessage, type ConvRow, type EndpointRow, type ExpertItem, type PhsNode } from './api';
import { fixed, formatBytes, filterLiteral } from './format';
import { setFilter } from './tree-util';
import { Dialog, SortableTable, Spinner, type Column, type MenuState } from './ui';

const TYPES = ['eth', 'ip', 'ipv6', 'tcp', 'udp'] as const;
const TYPE_LABEL: Record<string, string> = { eth: 'Ethernet', ip: 'IPv4', ipv6: 'IPv6', tcp: 'TCP', udp: 'UDP' };

function addrField(type: string, a: string): string {
  if (type === 'eth') return 'eth.addr';
  return a.includes(':') ? 'ipv6.addr' : 'ip.addr';
}

/** The display filter for a conversation row (the server's when it gives one). */
export function convFilter(type: string, r: ConvRow): string {
  if (r.filter) return r.filter;
  if ((type === 'tcp' || type === 'udp') && r.stream !== undefined) return `${type}.stream eq ${r.stream}`;
  const af = addrField(type, r.a);
  const parts = [`${af}==${filterLiteral(r.a)}`];
  if (r.portA !== undefined) parts.push(`${type}.port==${r.portA}`);
  parts.push(`${af}==${filterLiteral(r.b)}`);
  if (r.portB !== undefined) parts.push(`${type}.port==${r.portB}`);
  return parts.join(' && ');
}

function endpointFilter(type: string, r: EndpointRow): string {
  if (r.filter) return r.filter;
  const f = `${addrField(type, r.address)}==${filterLiteral(r.address)}`;
  return r.port !== undefined ? `${f} && ${type}.port==${r.port}` : f;
}

/** Tabs for the address/port types of Conversations and Endpoints (Wireshark's tabs). */
function TypeTabs(props: { type: string; setType: (t: string) => void }) {
  return (
    <div className="tabs" role="tablist">
      {TYPES.map((t) => <button key={t} role="tab" aria-selected={t === props.type} className={t === props.type ? 'active' : ''} onClick={() => props.setType(t)}>{TYPE_LABEL[t]}</button>)}
    </div>
  );
}

function useTyped<T>(load: (type: string) => Promise<{ rows: T[] }>, type: string) {
  const [rows, setRows] = useState<T[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    setRows(null); setErr(null);
    load(type).then((r) => setRows(r.rows), (e) => setErr(errorMessage(e)));
  }, [type]);
  return { rows, err };
}

export function ConversationsDialog(props: {
  captureId: string; onClose: () => void; onFilter: (f: string, apply: boolean) => void;
  onFollow: (proto: string, stream: number) => void; onFlow: (stream: number) => void; setMenu: (m: MenuState) => void;
}) {
  const [type, setType] = useState<string>('tcp');
  const { rows, err } = useTyped((t) => api.conversations(props.captureId, t), type);
  const [sel, setSel] = useState<ConvRow | null>(null);
  const ported = type === 'tcp' || type === 'udp';
  const cols: Column<ConvRow>[] = [
    { key: 'a', label: 'Address A', value: (r) => r.a },
    ...(ported ? [{ key: 'pa', label: 'Port A', value: (r: ConvRow) => r.portA ?? 0, numeric: true }] : []),
    { key: 'b', label: 'Address B', value: (r) => r.b },
    ...(ported ? [{ key: 'pb', label: 'Port B', value: (r: ConvRow) => r.portB ?? 0, numeric: true }] : []),
    { key: 'pk', label: 'Packets', value: (r) => r.framesAB + r.framesBA, numeric: true },
    { key: 'by', label: 'Bytes', value: (r) => r.bytesAB + r.bytesBA, render: (r) => formatBytes(r.bytesAB + r.bytesBA), numeric: true },
    ...(ported ? [{ key: 'st', label: 'Stream ID', value: (r: ConvRow) => r.stream ?? -1, numeric: true }] : []),
    { key: 'pab', label: 'Packets A → B', value: (r) => r.framesAB, numeric: true },
    { key: 'bab', label: 'Bytes A → B', value: (r) => r.bytesAB, render: (r) => formatBytes(r.bytesAB), numeric: true },
    { key: 'pba', label: 'Packets B → A', value: (r) => r.framesBA, numeric: true },
    { key: 'bba', label: 'Bytes B → A', value: (r) => r.bytesBA, render: (r) => formatBytes(r.bytesBA), numeric: true },
    { key: 'start', label: 'Rel Start', value: (r) => Number(r.start), render: (r) => fixed(r.start).slice(0, -3), numeric: true },
    { key: 'dur', label: 'Duration', value: (r) => Number(r.duration), render: (r) => Number(r.duration).toFixed(4), numeric: true },
    ...(type === 'tcp' ? [
      { key: 'state', label: 'State', value: (r: ConvRow) => r.state ?? '', title: 'Zeek conn_state' },
      { key: 'hist', label: 'History', value: (r: ConvRow) => r.history ?? '', title: 'Zeek history' },
    ] : []),
    ...(ported ? [{ key: 'app', label: 'Application', value: (r: ConvRow) => r.app ?? '' }] : []),
  ];
  return (
    <Dialog title="Conversations" onClose={props.onClose} wide testId="conversations-dialog">
      <TypeTabs type={type} setType={setType} />
      <div className="table-wrap">
        {err && <div className="error-box">{err}</div>}
        {!rows && !err ? <Spinner /> : rows && (
          <SortableTable rows={rows} columns={cols} selected={sel} onRowClick={setSel} testId="conversations-table"
            onRowDoubleClick={(r) => { props.onFilter(convFilter(type, r), true); props.onClose(); }}
            onRowContextMenu={(r, e) => {
              setSel(r);
              props.setMenu({ x: e.clientX, y: e.clientY, items: [
                { label: 'Apply as Filter', onClick: () => { props.onFilter(convFilter(type, r), true); props.onClose(); } },
                { label: 'Prepare as Filter', onClick: () => { props.onFilter(convFilter(type, r), false); props.onClose(); } },
                { label: 'Filter out', onClick: () => { props.onFilter(`!(${convFilter(type, r)})`, true); props.onClose(); } },
                { separator: true, label: '' },
                { label: `Follow ${type.toUpperCase()} Stream`, disabled: !ported || r.stream === undefined, onClick: () => props.onFollow(type, r.stream!) },
                { label: 'Flow Graph', disabled: type !== 'tcp' || r.stream === undefined, onClick: () => props.onFlow(r.stream!) },
              ] });
            }} />
        )}
      </div>
      <div className="dialog-foot muted">{rows ? `${rows.length} ${TYPE_LABEL[type]} conversations` : ''} · double-click a row to filter on it, right-click for more</div>
    </Dialog>
  );
}

export function EndpointsDialog(props: { captureId: string; onClose: () => void; onFilter: (f: string, apply: boolean) => void; setMenu: (m: MenuState) => void }) {
  const [type, setType] = useState<string>('ip');
  const { rows, err } = useTyped((t) => api.endpoints(props.captureId, t), type);
  const ported = type === 'tcp' || type === 'udp';
  const cols: Column<EndpointRow>[] = [
    { key: 'a', label: 'Address', value: (r) => r.address },
    ...(ported ? [{ key: 'p', label: 'Port', value: (r: EndpointRow) => r.port ?? 0, numeric: true }] : []),
    { key: 'f', label: 'Packets', value: (r) => r.frames, numeric: true },
    { key: 'b', label: 'Bytes', value: (r) => r.bytes, render: (r) => formatBytes(r.bytes), numeric: true },
    { key: 'tf', label: 'Tx Packets', value: (r) => r.txFrames, numeric: true },
    { key: 'tb', label: 'Tx Bytes', value: (r) => r.txBytes, render: (r) => formatBytes(r.txBytes), numeric: true },
    { key: 'rf', label: 'Rx Packets', value: (r) => r.rxFrames, numeric: true },
    { key: 'rb', label: 'Rx Bytes', value: (r) => r.rxBytes, render: (r) => formatBytes(r.rxBytes), numeric: true },
  ];
  return (
    <Dialog title="Endpoints" onClose={props.onClose} wide testId="endpoints-dialog">
      <TypeTabs type={type} setType={setType} />
      <div className="table-wrap">
        {err && <div className="error-box">{err}</div>}
        {!rows && !err ? <Spinner /> : rows && (
          <SortableTable rows={rows} columns={cols} initialSort={{ key: 'f', desc: true }} testId="endpoints-table"
            onRowDoubleClick={(r) => { props.onFilter(endpointFilter(type, r), true); props.onClose(); }}
            onRowContextMenu={(r, e) => props.setMenu({ x: e.clientX, y: e.clientY, items: [
              { label: 'Apply as Filter', onClick: () => { props.onFilter(endpointFilter(type, r), true); props.onClose(); } },
              { label: 'Prepare as Filter', onClick: () => { props.onFilter(endpointFilter(type, r), false); props.onClose(); } },
              { label: 'Filter out', onClick: () => { props.onFilter(`!(${endpointFilter(type, r)})`, true); props.onClose(); } },
            ] })} />
        )}
      </div>
      <div className="dialog-foot muted">{rows ? `${rows.length} ${TYPE_LABEL[type]} endpoints` : ''}</div>
    </Dialog>
  );
}

const SEV_RANK: Record<string, number> = { error: 0, warning: 1, warn: 1, note: 2, chat: 3, comment: 4 };

export function ExpertDialog(props: { captureId: string; onClose: () => void; onFrame: (no: number) => void; onFilter: (f: string, apply: boolean) => void }) {
  const [items, setItems] = useState<ExpertItem[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [open, setOpen] = useState<Record<number, boolean>>({});
  useEffect(() => { api.expert(props.captureId).then((r) => setItems(r.items), (e) => setErr(errorMessage(e))); }, [props.captureId]);
  const sorted = [...(items ?? [])].sort((a, b) => (SEV_RANK[a.severity] ?? 9) - (SEV_RANK[b.severity] ?? 9) || b.count - a.count);
  const bySev = sorted.reduce<Record<string, number>>((m, i) => { m[i.severity] = (m[i.severity] ?? 0) + i.count; return m; }, {});
  return (
    <Dialog title="Expert Information" onClose={props.onClose} wide testId="expert-dialog">
      <div className="muted pad">{Object.entries(bySev).map(([s, n]) => <span key={s} className={'badge sev-' + s}>{s}: {n}</span>)}</div>
      <div className="table-wrap">
        {err && <div className="error-box">{err}</div>}
        {!items && !err && <Spinner />}
        {items && (
          <table className="grid" data-testid="expert-table">
            <thead><tr><th style={{ width: 80 }}>Severity</th><th>Summary</th><th style={{ width: 110 }}>Group</th><th style={{ width: 90 }}>Protocol</th><th className="num" style={{ width: 60 }}>Count</th></tr></thead>
            <tbody>
              {sorted.map((it, i) => (
                <Fragment key={i}>
                  <tr className={'expert-row sev-' + it.severity} onClick={() => setOpen((o) => ({ ...o, [i]: !o[i] }))}>
                    <td><span className="twisty">{open[i] ? '▾' : '▸'}</span><span className={'badge sev-' + it.severity}>{it.severity}</span></td>
                    <td>{it.summary}</td><td>{it.group}</td><td>{it.protocol}</td><td className="num">{it.count}</td>
                  </tr>
                  {open[i] && (
                    <tr className="expert-frames"><td colSpan={5}>
                      {it.frames.map((f) => <button key={f} className="chip frame" onClick={() => { props.onFrame(f); props.onClose(); }}>#{f}</button>)}
                      {it.count > it.frames.length && <span className="muted"> (first {it.frames.length} of {it.count})</span>}
                      {it.field && <button className="chip" title={`Apply ${it.field} as a filter`} onClick={() => { props.onFilter(it.field!, true); props.onClose(); }}>filter: {it.field}</button>}
                      {it.frames.length > 0 && <button className="chip" onClick={() => { props.onFilter(setFilter(it.frames, 'frame.number'), true); props.onClose(); }}>only these frames</button>}
                    </td></tr>
                  )}
                </Fragment>
              ))}
              {sorted.length === 0 && <tr><td colSpan={5} className="empty">No expert information</td></tr>}
            </tbody>
          </table>
        )}
      </div>
    </Dialog>
  );
}

export function HierarchyDialog(props: { captureId: string; onClose: () => void; onFilter: (f: string, apply: boolean) => void; setMenu: (m: MenuState) => void }) {
  const [tree, setTree] = useState<PhsNode[] | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => { api.hierarchy(props.captureId).then((r) => setTree(r.tree), (e) => setErr(errorMessage(e))); }, [props.captureId]);
  const totalFrames = tree?.reduce((s, n) => s + n.frames, 0) ?? 0;
  const totalBytes = tree?.reduce((s, n) => s + n.bytes, 0) ?? 0;
  const rows: { n: PhsNode; depth: number }[] = [];
  const walk = (ns: PhsNode[], d: number) => { for (const n of ns) { rows.push({ n, depth: d }); if (n.children) walk(n.children, d + 1); } };
  if (tree) walk(tree, 0);
  const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(1) : '0.0') + '%';
  return (
    <Dialog title="Protocol Hierarchy Statistics" onClose={props.onClose} wide testId="hierarchy-dialog">
      <div className="table-wrap">
        {err && <div className="error-box">{err}</div>}
        {!tree && !err && <Spinner />}
        {tree && (
          <table className="grid">
            <thead><tr><th>Protocol</th><th className="num">Percent Packets</th><th className="num">Packets</th><th className="num">Percent Bytes</th><th className="num">Bytes</th></tr></thead>
            <tbody>
              {rows.map(({ n, depth }, i) => (
                <tr key={i} onDoubleClick={() => { props.onFilter(n.protocol, true); props.onClose(); }}
                  onContextMenu={(e) => { e.preventDefault(); props.setMenu({ x: e.clientX, y: e.clientY, items: [
                    { label: 'Apply as Filter', onClick: () => { props.onFilter(n.protocol, true); props.onClose(); } },
                    { label: 'Prepare as Filter', onClick: () => { props.onFilter(n.protocol, false); props.onClose(); } },
                  ] }); }}>
                  <td style={{ paddingLeft: 6 + depth * 16 }} title={n.protocol}>{n.name}</td>
                  <td className="num"><span className="pct-bar" style={{ width: pct(n.frames, totalFrames) }} />{pct(n.frames, totalFrames)}</td>
                  <td className="num">{n.frames}</td>
                  <td className="num">{pct(n.bytes, totalBytes)}</td>
                  <td className="num">{n.bytes}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </Dialog>
  );
}
