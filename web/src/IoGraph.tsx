// I/O graph: packets, bytes and retransmissions per interval (uPlot).
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, errorMessage, type IoGraph } from './api';
import { Dialog, Spinner } from './ui';

const INTERVALS = [0.001, 0.01, 0.1, 1, 10, 60];
const COLORS = ['#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#ff7f0e'];

/** An interval giving at most ~200 points over the capture (Wireshark picks one the same way). */
function autoInterval(duration: number): number {
  if (!Number.isFinite(duration) || duration <= 0) return 1;
  return INTERVALS.find((i) => duration / i <= 200) ?? INTERVALS[INTERVALS.length - 1];
}

export function IoGraphDialog(props: { captureId: string; duration: number; onClose: () => void }) {
  const [interval, setInterval] = useState(() => autoInterval(props.duration));
  const [data, setData] = useState<IoGraph | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    setData(null); setErr(null);
    api.iograph(props.captureId, interval).then(setData, (e) => setErr(errorMessage(e)));
  }, [props.captureId, interval]);

  useEffect(() => {
    if (!data || !box.current) return;
    const n = Math.max(0, ...data.series.map((s) => s.values.length));
    // One more point at the end so the last interval is drawn as wide as the others (stepped lines).
    const xs = Array.from({ length: n + 1 }, (_, i) => Number((i * data.interval).toFixed(6)));
    const ys = data.series.map((s) => [...s.values, s.values[s.values.length - 1] ?? 0]);
    const series: uPlot.Series[] = [{ label: 'Time (s)' }];
    data.series.forEach((s, i) => series.push({
      label: s.name, stroke: COLORS[i % COLORS.length], width: 1.5, scale: s.name === 'bytes' ? 'bytes' : 'count',
      fill: s.name === 'packets' ? 'rgba(31,119,180,0.08)' : undefined, paths: uPlot.paths.stepped?.({ align: 1 }), points: { show: false },
    }));
    const opts: uPlot.Options = {
      width: box.current.clientWidth, height: Math.max(240, box.current.clientHeight - 40),
      series,
      scales: { x: { time: false } },
      axes: [
        { label: `Time (s), interval ${data.interval} s`, size: 40 },
        { scale: 'count', label: 'Packets / interval', size: 56 },
        { scale: 'bytes', side: 1, label: 'Bytes / interval', grid: { show: false }, size: 64 },
      ],
      cursor: { drag: { x: true, y: false } },
    };
    const plot = new uPlot(opts, [xs, ...ys], box.current);
    const ro = new ResizeObserver(() => { if (box.current) plot.setSize({ width: box.current.clientWidth, height: Math.max(240, box.current.clientHeight - 40) }); });
    ro.observe(box.current);
    return () => { ro.disconnect(); plot.destroy(); };
  }, [data]);

  return (
    <Dialog title="I/O Graph" onClose={props.onClose} wide testId="iograph-dialog"
      actions={<label>Interval{' '}
        <select value={interval} onChange={(e) => setInterval(Number(e.target.value))} aria-label="Interval">
          {INTERVALS.map((i) => <option key={i} value={i}>{i < 1 ? `${i * 1000} ms` : `${i} s`}</option>)}
        </select></label>}>
      {err && <div className="error-box">{err}</div>}
      {!data && !err && <Spinner />}
      <div className="iograph" ref={box} data-testid="iograph" />
    </Dialog>
  );
}
