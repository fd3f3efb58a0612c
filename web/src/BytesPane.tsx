// Packet bytes: offset, hex and ASCII, the selected field's range highlighted; one tab per buffer (frame, reassembled data).
import { useEffect, useMemo, useRef } from 'react';
import { fromBase64 } from './api';

const hex2 = (b: number) => b.toString(16).padStart(2, '0');

export function BytesPane(props: {
  buffers: { name: string; base64: string }[]; active: number; onTab: (i: number) => void;
  range: { buffer: number; start: number; length: number } | null; onByteClick: (buffer: number, offset: number) => void;
}) {
  const bytes = useMemo(() => props.buffers.map((b) => fromBase64(b.base64)), [props.buffers]);
  const data = bytes[props.active] ?? new Uint8Array();
  const ref = useRef<HTMLDivElement>(null);
  const hi = props.range && props.range.buffer === props.active ? props.range : null;
  const inHi = (i: number) => !!hi && i >= hi.start && i < hi.start + hi.length;
  useEffect(() => { ref.current?.querySelector('.hl')?.scrollIntoView({ block: 'nearest' }); }, [hi?.start, hi?.length, props.active]);

  const lines = [];
  for (let off = 0; off < data.length; off += 16) {
    const hexCells = [], ascCells = [];
    for (let j = 0; j < 16; j++) {
      const i = off + j;
      if (i >= data.length) { hexCells.push(<span key={j} className="b pad">{'  '}</span>); continue; }
      const b = data[i];
      const cls = 'b' + (inHi(i) ? ' hl' : '') + (j === 7 ? ' mid' : '');
      hexCells.push(<span key={j} className={cls} data-off={i} onMouseDown={() => props.onByteClick(props.active, i)}>{hex2(b)}</span>);
      ascCells.push(<span key={j} className={'a' + (inHi(i) ? ' hl' : '')} data-off={i} onMouseDown={() => props.onByteClick(props.active, i)}>
        {b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '·'}</span>);
    }
    lines.push(
      <div className="hex-line" key={off}>
        <span className="off">{off.toString(16).padStart(4, '0')}</span>
        <span className="hex">{hexCells}</span>
        <span className="asc">{ascCells}</span>
      </div>,
    );
  }
  return (
    <div className="bytes-pane" data-testid="bytes-pane">
      <div className="bytes-body" ref={ref}>{lines}</div>
      {props.buffers.length > 1 && (
        <div className="tabs bottom" role="tablist">
          {props.buffers.map((b, i) => (
            <button key={i} role="tab" aria-selected={i === props.active} className={i === props.active ? 'active' : ''} onClick={() => props.onTab(i)}>
              {b.name} ({bytes[i]?.length ?? 0} bytes)
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
