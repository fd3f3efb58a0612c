// Flow graph: a ladder (sequence) diagram of a stream, a selection or the displayed packets, as Wireshark's.
import { useEffect, useState } from 'react';
import { api, errorMessage, type FlowGraph, type RowColor } from './api';
import { fixed } from './format';
import { Dialog, Spinner } from './ui';

export type FlowSource = { stream: number } | { frames: number[]; label?: string } | { view: string; label?: string };

/** Width of a character of the 11 px monospace labels. */
const CHAR_W = 6.7;
const COL = 200, ROW = 24, TOP = 40, LEFT = 96, RIGHT_PAD = 16, COMMENT_W = 260;

/** Relative luminance of a `#rrggbb` colour (0 black … 1 white). */
function luminance(hex: string): number {
  const n = parseInt(hex.slice(1), 16);
  return (0.2126 * ((n >> 16) & 255) + 0.7152 * ((n >> 8) & 255) + 0.0722 * (n & 255)) / 255;
}

/**
 * The arrow's stroke for a colouring rule: its background (RST red, SYN/FIN grey, Bad TCP
 * black), or its foreground where the background is too pale to see on white (plain TCP, UDP).
 */
function strokeOf(c: RowColor | undefined): string {
  if (!c) return '#333';
  return luminance(c.bg) > 0.8 ? c.fg : c.bg;
}

function relTime(t: string | number, t0: number): string {
  return fixed((Number(t) - t0).toFixed(9)).replace(/(\.\d{6})\d*$/, '$1');
}

export function FlowGraphDialog(props: {
  captureId: string; source: FlowSource; selectedFrame: number | null; onClose: () => void; onFrame: (no: number) => void;
}) {
  const [src, setSrc] = useState<FlowSource>(props.source);
  const [g, setG] = useState<FlowGraph | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [sel, setSel] = useState<number | null>(props.selectedFrame);
  const [scan, setScan] = useState<number | null>(null);
  useEffect(() => {
    setG(null); setErr(null); setScan(null);
    let stop = false;
    const load = async () => {
      // A view still scanning the capture is waited for (with its progress shown) before it is drawn.
      if ('view' in src) {
        for (;;) {
          const v = await api.view(props.captureId, src.view);
          if (stop) return;
          if (v.complete) break;
          setScan(v.progress);
          await new Promise((r) => setTimeout(r, 200));
        }
        setScan(null);
      }
      const r = await api.flowgraph(props.captureId, src);
      if (!stop) setG(r);
    };
    load().catch((e) => { if (!stop) setErr(errorMessage(e)); });
    return () => { stop = true; };
  }, [props.captureId, JSON.stringify(src)]);

  const title = 'stream' in src ? `Flow Graph — TCP stream ${src.stream}` : 'frames' in src ? `Flow Graph — ${src.label ?? `${src.frames.length} frames`}` : `Flow Graph — ${src.label ?? 'displayed packets'}`;
  const nodes = g?.nodes ?? [];
  const width = LEFT + Math.max(1, nodes.length) * COL + COMMENT_W + RIGHT_PAD;
  const height = TOP + (g?.events.length ?? 0) * ROW + 16;
  const idx = (n: number | string) => (typeof n === 'number' ? n : nodes.indexOf(n));
  const x = (n: number | string) => LEFT + idx(n) * COL + COL / 2;
  const name = (n: number | string) => (typeof n === 'number' ? nodes[n] ?? String(n) : n);
  const t0 = g?.events.length ? Number(g.events[0].time) : 0;

  return (
    <Dialog title={title} onClose={props.onClose} wide testId="flow-dialog"
      actions={'stream' in src ? (
        <span className="flow-stream">
          <button className="icon" title="Previous stream" disabled={src.stream <= 0} onClick={() => setSrc({ stream: src.stream - 1 })}>◀</button>
          <span>stream {src.stream}</span>
          <button className="icon" title="Next stream" onClick={() => setSrc({ stream: src.stream + 1 })}>▶</button>
        </span>
      ) : null}>
      <div className="flow-wrap">
        {err && <div className="error-box">{err}</div>}
        {!g && !err && <div className="pad"><Spinner />{scan !== null ? ` filtering… ${Math.round(scan * 100)}%` : ''}</div>}
        {g && g.events.length === 0 && <div className="muted pad">No packets to draw.</div>}
        {g && g.events.length > 0 && (
          <svg className="flow" width={width} height={height} data-testid="flow-svg" role="img" aria-label={title}>
            <defs>
              <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                <path d="M0,0 L10,5 L0,10 z" fill="context-stroke" />
              </marker>
            </defs>
            <text x={8} y={16} className="flow-head">Time</text>
            {nodes.map((n, i) => (
              <g key={n}>
                <text x={x(i)} y={16} textAnchor="middle" className="flow-head">{n}</text>
                <line x1={x(i)} x2={x(i)} y1={TOP - 14} y2={height - 4} className="flow-life" />
              </g>
            ))}
            <text x={LEFT + nodes.length * COL + 8} y={16} className="flow-head">Comment</text>
            {g.events.map((e, i) => {
              const y = TOP + i * ROW + 10;
              const x1 = x(e.from), x2 = x(e.to);
              const selected = sel === e.frame;
              const color = strokeOf(e.color);
              const self = x1 === x2;
              const labelX = self ? x1 + 34 : (x1 + x2) / 2;
              // Long labels (a TNS redirect's address) are cut to the box; the whole text is in the tooltip.
              const maxChars = Math.floor((COL * 1.6 - 8) / CHAR_W);
              const text = e.label.length > maxChars ? e.label.slice(0, maxChars - 1) + '…' : e.label;
              const labelW = CHAR_W * text.length + 8;
              return (
                <g key={i} className={'flow-ev' + (selected ? ' selected' : '')} data-frame={e.frame} data-color={e.color?.name ?? ''} data-stroke={color}
                  onClick={() => { setSel(e.frame); props.onFrame(e.frame); }}>
                  <rect x={0} y={y - 14} width={width} height={ROW} className="flow-hit" />
                  <text x={8} y={y + 4} className="flow-time">{relTime(e.time, t0)}</text>
                  <text x={LEFT - 6} y={y + 4} textAnchor="end" className="flow-frame">{e.frame}</text>
                  {self
                    ? <path d={`M${x1},${y - 4} h30 v8 h-28`} fill="none" stroke={color} strokeWidth={selected ? 2 : 1.2} markerEnd="url(#arrow)" />
                    : <line x1={x1} x2={x2} y1={y} y2={y} stroke={color} strokeWidth={selected ? 2 : 1.2} markerEnd="url(#arrow)" />}
                  {e.color && (
                    <rect x={self ? labelX - 2 : labelX - labelW / 2} y={y - 15} width={labelW} height={13} rx={2} fill={e.color.bg}
                      className="flow-label-bg" data-rule={e.color.name} />
                  )}
                  <text x={labelX} y={y - 4} textAnchor={self ? 'start' : 'middle'} className="flow-label" fill={e.color ? e.color.fg : color}>
                    {text}
                  </text>
                  {e.comment && <text x={LEFT + nodes.length * COL + 8} y={y + 4} className="flow-comment">{e.comment}</text>}
                  <title>{`Frame ${e.frame} (${e.proto}): ${name(e.from)} → ${name(e.to)}  ${e.label}${e.comment ? ` — ${e.comment}` : ''}${e.color ? ` [${e.color.name}]` : ''}`}</title>
                </g>
              );
            })}
          </svg>
        )}
      </div>
      <div className="dialog-foot muted">{g ? `${g.events.length} packets, ${nodes.length} endpoints` : ''} · click an arrow to select its frame in the packet list</div>
    </Dialog>
  );
}
