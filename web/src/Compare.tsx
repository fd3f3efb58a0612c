// Two captures side by side (two capture points): matched packets linked, packets missing on the other side marked.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, errorMessage, type CaptureInfo, type CompareResult, type ComparePoint, type Finding, type Findings, type Row } from './api';

const pname = (p: ComparePoint | string | undefined, dflt: string) => (p === undefined ? dflt : typeof p === 'string' ? p : p.name);
import { DiagnosisPanel } from './Diagnosis';
import { PacketList, type PacketListHandle } from './PacketList';
import { RowStore } from './rows';
import { TIME_FORMATS, type TimeFormat } from './format';
import { go } from './route';
import { Spinner } from './ui';

function offset(o: CompareResult['clockOffset']): string {
  if (o === undefined || o === null) return '';
  const sec = typeof o === 'number' ? o : o.seconds;
  return ` · clock offset ${sec >= 0 ? '+' : ''}${sec.toFixed(6)} s${typeof o === 'object' && o.exact === false ? ' (estimated)' : ''}`;
}

export function CompareView(props: { a: string; b: string }) {
  const [res, setRes] = useState<CompareResult | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [infos, setInfos] = useState<[CaptureInfo | null, CaptureInfo | null]>([null, null]);
  const [va, setVa] = useState(0), [vb, setVb] = useState(0);
  const sa = useMemo(() => new RowStore(props.a, null, () => setVa((v) => v + 1)), [props.a]);
  const sb = useMemo(() => new RowStore(props.b, null, () => setVb((v) => v + 1)), [props.b]);
  const [sel, setSel] = useState<{ side: 0 | 1; index: number; no: number } | null>(null);
  const [tf, setTf] = useState<TimeFormat>('relative');
  const [collapsed, setCollapsed] = useState(false);
  const la = useRef<PacketListHandle>(null), lb = useRef<PacketListHandle>(null);

  useEffect(() => {
    void sa.first(); void sb.first();
    Promise.all([api.capture(props.a), api.capture(props.b)]).then(([x, y]) => setInfos([x, y]), (e) => setErr(errorMessage(e)));
    api.compare(props.a, props.b).then(setRes, (e) => setErr(errorMessage(e)));
  }, [props.a, props.b]);

  const maps = useMemo(() => {
    const ab = new Map<number, number>(), ba = new Map<number, number>(), link = new Map<number, number>();
    res?.matched.forEach(([x, y], i) => { ab.set(x, y); ba.set(y, x); link.set(x, i + 1); });
    return { ab, ba, link, onlyA: new Set(res?.onlyA ?? []), onlyB: new Set(res?.onlyB ?? []) };
  }, [res]);

  const other = sel ? (sel.side === 0 ? maps.ab.get(sel.no) : maps.ba.get(sel.no)) : undefined;
  const select = useCallback((side: 0 | 1, index: number, r: Row | undefined) => {
    if (!r) return;
    setSel({ side, index, no: r.no });
    const peer = side === 0 ? maps.ab.get(r.no) : maps.ba.get(r.no);
    if (peer !== undefined) (side === 0 ? lb : la).current?.scrollTo(peer - 1);
  }, [maps]);

  const markA = (r: Row) => maps.onlyA.has(r.no) ? { cls: 'only', title: `Frame ${r.no} is missing in ${pname(res?.pointB, 'B')}`, text: '✗' }
    : maps.ab.has(r.no) ? { cls: 'matched' + (sel?.side === 1 && other === r.no ? ' peer' : ''), title: `Matches frame ${maps.ab.get(r.no)} in ${pname(res?.pointB, 'B')}`, text: '↔' } : null;
  const markB = (r: Row) => maps.onlyB.has(r.no) ? { cls: 'only', title: `Frame ${r.no} is missing in ${pname(res?.pointA, 'A')}`, text: '✗' }
    : maps.ba.has(r.no) ? { cls: 'matched' + (sel?.side === 0 && other === r.no ? ' peer' : ''), title: `Matches frame ${maps.ba.get(r.no)} in ${pname(res?.pointA, 'A')}`, text: '↔' } : null;

  const findings: Finding[] | null = res ? (Array.isArray(res.findings) ? res.findings : (res.findings as Findings | undefined)?.findings ?? []) : null;
  return (
    <div className="capture-view compare-view">
      <nav className="toolbar">
        <button className="logo-btn" onClick={() => go('/')}>wiresage</button>
        <span className="cap-name">Compare: {infos[0]?.name ?? props.a} ⇄ {infos[1]?.name ?? props.b}</span>
        <span className="spacer" />
        {res && <span className="muted" data-testid="compare-summary">
          {res.matched.length} matched · {res.onlyA.length} only in A · {res.onlyB.length} only in B
          {offset(res.clockOffset)}{res.nat && res.nat.length ? ` · NAT: ${res.nat.map((n) => `${n.a} ⇄ ${n.b}`).join(', ')}` : ''}
        </span>}
        <label className="tb-time">Time <select value={tf} onChange={(e) => setTf(e.target.value as TimeFormat)}>
          {TIME_FORMATS.map((t) => <option key={t.id} value={t.id}>{t.label}</option>)}</select></label>
      </nav>
      {err && <div className="notice" role="alert">{err}</div>}
      {!res && !err && <div className="pad"><Spinner /> comparing…</div>}
      <DiagnosisPanel findings={findings} error={err ? "comparison unavailable" : null} collapsed={collapsed} onCollapse={setCollapsed} />
      <div className="compare-panes">
        {[0, 1].map((side) => (
          <div key={side} className="compare-side">
            <div className="compare-head">
              <strong>{side === 0 ? 'A' : 'B'}</strong> {infos[side]?.name ?? pname(side === 0 ? res?.pointA : res?.pointB, '')}
              <button className="link" onClick={() => go(`/c/${encodeURIComponent(side === 0 ? props.a : props.b)}`)}>open</button>
            </div>
            <PacketList store={side === 0 ? sa : sb} version={side === 0 ? va : vb} timeFormat={tf}
              handle={side === 0 ? la : lb} testId={`compare-list-${side === 0 ? 'a' : 'b'}`} label={`Capture ${side === 0 ? 'A' : 'B'}`}
              selected={sel?.side === side ? sel.index : (other !== undefined ? other - 1 : null)}
              mark={side === 0 ? markA : markB}
              onSelect={(i, r) => select(side as 0 | 1, i, r)} />
          </div>
        ))}
      </div>
      <footer className="statusbar">
        <span className="legend"><span className="mark-tag">↔</span> matched on both sides <span className="mark-tag only">✗</span> missing on the other side</span>
        <span className="spacer" />
        {sel && <span>{sel.side === 0 ? 'A' : 'B'} frame {sel.no}{other !== undefined ? ` ↔ ${sel.side === 0 ? 'B' : 'A'} frame ${other}` : ' — not seen on the other side'}</span>}
      </footer>
    </div>
  );
}
