// The packet list: virtualised rows (only what is on screen is in the DOM), Wireshark's columns and colours.
import { useEffect, useImperativeHandle, useRef, useState, type Ref } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Row } from './api';
import { formatTime, type TimeFormat } from './format';
import type { RowStore } from './rows';

export const ROW_HEIGHT = 19;

export interface PacketListHandle { scrollTo(index: number): void; focus(): void }

export interface Mark { cls: string; title: string; text?: string }

type Col = 'no' | 'time' | 'point' | 'src' | 'dst' | 'proto' | 'len';
const DEFAULT_W: Record<Col, number> = { no: 64, time: 118, point: 90, src: 150, dst: 150, proto: 72, len: 62 };
const TIME_W: Partial<Record<TimeFormat, number>> = { datetime: 206, epoch: 150 };
const W_KEY = 'wiresage.columns';

/** Column widths, resizable by dragging the header's right edges (kept in the browser, as Wireshark keeps them). */
function useColumnWidths(timeFormat: TimeFormat) {
  const [w, setW] = useState<Partial<Record<Col, number>>>(() => {
    try { return JSON.parse(localStorage.getItem(W_KEY) ?? '{}') as Partial<Record<Col, number>>; } catch { return {}; }
  });
  useEffect(() => { localStorage.setItem(W_KEY, JSON.stringify(w)); }, [w]);
  const width = (c: Col) => w[c] ?? (c === 'time' ? TIME_W[timeFormat] ?? DEFAULT_W.time : DEFAULT_W[c]);
  const style = Object.fromEntries((Object.keys(DEFAULT_W) as Col[]).map((c) => [`--w-${c}`, `${width(c)}px`])) as React.CSSProperties;
  const grip = (c: Col) => (
    <span className="col-grip" title="Drag to resize; double-click for the default width"
      onDoubleClick={() => setW((o) => { const n = { ...o }; delete n[c]; return n; })}
      onMouseDown={(e) => {
        e.preventDefault();
        const x0 = e.clientX, w0 = width(c);
        const move = (m: MouseEvent) => setW((o) => ({ ...o, [c]: Math.max(28, w0 + m.clientX - x0) }));
        const up = () => { window.removeEventListener('mousemove', move); window.removeEventListener('mouseup', up); };
        window.addEventListener('mousemove', move);
        window.addEventListener('mouseup', up);
      }} />
  );
  return { style, grip };
}

export function PacketList(props: {
  store: RowStore; version: number; selected: number | null; timeFormat: TimeFormat;
  onSelect: (index: number, row: Row | undefined) => void;
  onContextMenu?: (index: number, row: Row, e: React.MouseEvent) => void;
  onActivate?: (index: number, row: Row) => void;
  mark?: (row: Row) => Mark | null;
  showPoint?: boolean; autoScroll?: boolean; handle?: Ref<PacketListHandle>; testId?: string; label?: string;
}) {
  const { store, selected } = props;
  const parent = useRef<HTMLDivElement>(null);
  const head = useRef<HTMLDivElement>(null);
  const cols = useColumnWidths(props.timeFormat);
  const v = useVirtualizer({
    count: store.total,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  const items = v.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items.at(-1)?.index ?? 0;
  useEffect(() => { store.ensure(first, last + 1); }, [store, first, last, props.version, store.total]);

  useImperativeHandle(props.handle, () => ({
    scrollTo: (i: number) => v.scrollToIndex(i, { align: 'auto' }),
    focus: () => parent.current?.focus(),
  }), [v]);

  useEffect(() => {
    if (props.autoScroll && store.total > 0) v.scrollToIndex(store.total - 1, { align: 'end' });
  }, [props.autoScroll, store.total, v]);

  const pageRows = () => Math.max(1, Math.floor((parent.current?.clientHeight ?? 400) / ROW_HEIGHT) - 2);
  const move = (to: number) => {
    if (store.total === 0) return;
    const i = Math.max(0, Math.min(store.total - 1, to));
    v.scrollToIndex(i, { align: 'auto' });
    props.onSelect(i, store.get(i));
  };
  const onKeyDown = (e: React.KeyboardEvent) => {
    const cur = selected ?? -1;
    let handled = true;
    switch (e.key) {
      case 'ArrowDown': move(cur + 1); break;
      case 'ArrowUp': move(cur < 0 ? 0 : cur - 1); break;
      case 'PageDown': move(cur + pageRows()); break;
      case 'PageUp': move(cur - pageRows()); break;
      case 'Home': move(0); break;
      case 'End': move(store.total - 1); break;
      case 'Enter': { const r = cur >= 0 ? store.get(cur) : undefined; if (r) props.onActivate?.(cur, r); break; }
      default: handled = false;
    }
    if (handled) e.preventDefault();
  };

  return (
    <div className="packet-list" data-testid={props.testId ?? 'packet-list'} style={cols.style}>
      <div ref={head} className={'pl-head' + (props.showPoint ? ' with-point' : '')} role="row">
        <span className="c-no">No.{cols.grip('no')}</span><span className="c-time">Time{cols.grip('time')}</span>
        {props.showPoint && <span className="c-point">Point{cols.grip('point')}</span>}
        <span className="c-src">Source{cols.grip('src')}</span><span className="c-dst">Destination{cols.grip('dst')}</span>
        <span className="c-proto">Protocol{cols.grip('proto')}</span><span className="c-len">Length{cols.grip('len')}</span><span className="c-info">Info</span>
      </div>
      <div ref={parent} className="pl-body" tabIndex={0} onKeyDown={onKeyDown}
        onScroll={(e) => { if (head.current) head.current.scrollLeft = e.currentTarget.scrollLeft; }} role="grid" aria-label={props.label ?? 'Packet list'}
        aria-rowcount={store.total}>
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {items.map((it) => {
            const r = store.get(it.index);
            const isSel = it.index === selected;
            const m = r && props.mark ? props.mark(r) : null;
            const style: React.CSSProperties = { transform: `translateY(${it.start}px)`, height: ROW_HEIGHT };
            if (r?.color && !isSel) { style.background = r.color.bg; style.color = r.color.fg; }
            return (
              <div key={it.key} role="row" aria-selected={isSel} data-no={r?.no}
                className={'pl-row' + (isSel ? ' selected' : '') + (props.showPoint ? ' with-point' : '') + (m ? ' ' + m.cls : '')}
                style={style} title={m?.title ?? (r?.color ? `Coloring rule: ${r.color.name}` : undefined)}
                onMouseDown={() => props.onSelect(it.index, r)}
                onDoubleClick={() => r && props.onActivate?.(it.index, r)}
                onContextMenu={(e) => { if (r && props.onContextMenu) { e.preventDefault(); props.onSelect(it.index, r); props.onContextMenu(it.index, r, e); } }}>
                {r ? (
                  <>
                    <span className="c-no">{m?.text ? <span className="mark-tag">{m.text}</span> : null}{r.no}</span>
                    <span className="c-time">{formatTime(r, props.timeFormat)}</span>
                    {props.showPoint && <span className="c-point">{r.point ?? ''}</span>}
                    <span className="c-src">{r.src}</span><span className="c-dst">{r.dst}</span>
                    <span className="c-proto">{r.proto}</span><span className="c-len">{r.len}</span>
                    <span className="c-info">{r.info}</span>
                  </>
                ) : <span className="c-loading">…</span>}
              </div>
            );
          })}
        </div>
        {store.total === 0 && <div className="pl-empty">{store.error ? `Error: ${store.error}` : store.complete ? 'No packets' : 'Loading…'}</div>}
      </div>
    </div>
  );
}
