// Small shared pieces: dialogs, context menus, sortable tables, sparklines.
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';

export function Dialog(props: { title: string; onClose: () => void; children: ReactNode; wide?: boolean; testId?: string; actions?: ReactNode }) {
  useEffect(() => {
    const k = (e: KeyboardEvent) => { if (e.key === 'Escape') props.onClose(); };
    window.addEventListener('keydown', k);
    return () => window.removeEventListener('keydown', k);
  }, [props.onClose]);
  return (
    <div className="dialog-backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) props.onClose(); }}>
      <div className={'dialog' + (props.wide ? ' wide' : '')} role="dialog" aria-label={props.title} data-testid={props.testId}>
        <div className="dialog-title">
          <span>{props.title}</span>
          <span className="dialog-actions">{props.actions}</span>
          <button className="icon" title="Close (Esc)" aria-label="Close" onClick={props.onClose}>✕</button>
        </div>
        <div className="dialog-body">{props.children}</div>
      </div>
    </div>
  );
}

export interface MenuItem { label: string; onClick?: () => void; disabled?: boolean; separator?: boolean }
export interface MenuState { x: number; y: number; items: MenuItem[] }

export function ContextMenu(props: { menu: MenuState | null; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState<{ x: number; y: number } | null>(null);
  useEffect(() => {
    if (!props.menu) return;
    const close = (e: Event) => { if (!ref.current?.contains(e.target as Node)) props.onClose(); };
    const key = (e: KeyboardEvent) => { if (e.key === 'Escape') props.onClose(); };
    window.addEventListener('mousedown', close, true);
    window.addEventListener('keydown', key, true);
    window.addEventListener('blur', props.onClose);
    return () => {
      window.removeEventListener('mousedown', close, true);
      window.removeEventListener('keydown', key, true);
      window.removeEventListener('blur', props.onClose);
    };
  }, [props.menu, props.onClose]);
  useEffect(() => {
    if (!props.menu || !ref.current) { setPos(null); return; }
    const r = ref.current.getBoundingClientRect();
    setPos({
      x: Math.max(0, Math.min(props.menu.x, window.innerWidth - r.width - 4)),
      y: Math.max(0, Math.min(props.menu.y, window.innerHeight - r.height - 4)),
    });
  }, [props.menu]);
  if (!props.menu) return null;
  const p = pos ?? { x: props.menu.x, y: props.menu.y };
  return (
    <div ref={ref} className="context-menu" role="menu" style={{ left: p.x, top: p.y }}>
      {props.menu.items.map((it, i) => it.separator
        ? <div key={i} className="sep" />
        : <button key={i} role="menuitem" disabled={it.disabled} onClick={() => { props.onClose(); it.onClick?.(); }}>{it.label}</button>)}
    </div>
  );
}

export interface Column<T> {
  key: string; label: string; value: (r: T) => string | number; render?: (r: T) => ReactNode;
  numeric?: boolean; width?: number | string; title?: string;
}

export function SortableTable<T>(props: {
  rows: T[]; columns: Column<T>[]; initialSort?: { key: string; desc: boolean };
  onRowDoubleClick?: (r: T) => void; onRowContextMenu?: (r: T, e: React.MouseEvent) => void;
  onRowClick?: (r: T) => void; selected?: T | null; testId?: string;
}) {
  const [sort, setSort] = useState(props.initialSort ?? null);
  const rows = useMemo(() => {
    if (!sort) return props.rows;
    const col = props.columns.find((c) => c.key === sort.key);
    if (!col) return props.rows;
    const out = [...props.rows];
    out.sort((a, b) => {
      const x = col.value(a), y = col.value(b);
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
      return sort.desc ? -c : c;
    });
    return out;
  }, [props.rows, props.columns, sort]);
  return (
    <table className="grid" data-testid={props.testId}>
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th key={c.key} style={{ width: c.width }} className={c.numeric ? 'num' : ''} title={c.title ?? 'Sort by ' + c.label}
              aria-sort={sort?.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none'}
              onClick={() => setSort((s) => s?.key === c.key ? { key: c.key, desc: !s.desc } : { key: c.key, desc: false })}>
              {c.label}{sort?.key === c.key ? (sort.desc ? ' ▾' : ' ▴') : ''}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i} className={props.selected === r ? 'selected' : ''}
            onClick={() => props.onRowClick?.(r)}
            onDoubleClick={() => props.onRowDoubleClick?.(r)}
            onContextMenu={(e) => { if (props.onRowContextMenu) { e.preventDefault(); props.onRowContextMenu(r, e); } }}>
            {props.columns.map((c) => <td key={c.key} className={c.numeric ? 'num' : ''}>{c.render ? c.render(r) : c.value(r)}</td>)}
          </tr>
        ))}
        {rows.length === 0 && <tr><td colSpan={props.columns.length} className="empty">No rows</td></tr>}
      </tbody>
    </table>
  );
}

/** A packet-rate sparkline (SVG polyline, newest on the right). */
export function Sparkline(props: { values: number[]; width?: number; height?: number }) {
  const w = props.width ?? 120, h = props.height ?? 18;
  const v = props.values;
  const max = Math.max(1, ...v);
  const n = Math.max(2, v.length);
  const pts = v.map((x, i) => `${((i + (n - v.length)) / (n - 1)) * w},${h - 1 - (x / max) * (h - 2)}`).join(' ');
  return (
    <svg className="sparkline" width={w} height={h} viewBox={`0 0 ${w} ${h}`} aria-label={`packets per second, last ${v.at(-1) ?? 0}`}>
      <line x1={0} x2={w} y1={h - 0.5} y2={h - 0.5} stroke="#ddd" strokeWidth="1" />
      {v.length > 0 && <polyline points={pts} fill="none" stroke="currentColor" strokeWidth="1.2" />}
    </svg>
  );
}

export function Spinner() { return <span className="spinner" aria-label="loading" />; }

export function Progress(props: { value: number; label?: string }) {
  return (
    <span className="progress" title={props.label}>
      <span className="bar" style={{ width: `${Math.round(Math.max(0, Math.min(1, props.value)) * 100)}%` }} />
    </span>
  );
}
