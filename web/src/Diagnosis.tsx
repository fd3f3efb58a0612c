// Diagnosis panel (on top of the packet view): doctor's findings, their story and evidence; evidence is clickable.
import { useState } from 'react';
import type { Finding } from './api';
import { formatDate } from './format';

const SEV_ORDER: Record<string, number> = { critical: 0, error: 1, warning: 2, warn: 2, note: 3, info: 4, chat: 5, ok: 6 };

export interface EvidenceActions {
  frame: (no: number) => void;
  frames: (nos: number[]) => void;
  streams: (ids: number[]) => void;
  address: (addr: string) => void;
  flow: (f: Finding) => void;
}

export function DiagnosisPanel(props: {
  findings: Finding[] | null; error?: string | null; live?: boolean; collapsed: boolean; onCollapse: (c: boolean) => void; act?: EvidenceActions;
}) {
  const [open, setOpen] = useState<Record<number, boolean>>({ 0: true });
  const [shown, setShown] = useState(100);
  const act = props.act;
  const list = [...(props.findings ?? [])].sort((a, b) => (SEV_ORDER[a.severity] ?? 9) - (SEV_ORDER[b.severity] ?? 9));
  const counts = list.reduce<Record<string, number>>((m, f) => { m[f.severity] = (m[f.severity] ?? 0) + 1; return m; }, {});
  return (
    <section className={'diagnosis' + (props.collapsed ? ' collapsed' : '')} data-testid="diagnosis" aria-label="Diagnosis">
      <header onClick={() => props.onCollapse(!props.collapsed)}>
        <span className="twisty">{props.collapsed ? '▸' : '▾'}</span>
        <strong>Diagnosis</strong>
        {props.findings === null && !props.error && <span className="muted"> analysing…</span>}
        {props.error && <span className="sev-text error"> {props.error}</span>}
        {props.findings && list.length === 0 && <span className="muted"> no problems found{props.live ? ' so far' : ''}</span>}
        {Object.entries(counts).map(([s, n]) => <span key={s} className={'badge sev-' + s}>{n} {s}</span>)}
        {props.collapsed && list[0] && <span className="diag-first">{list[0].title}</span>}
        {props.live && <span className="live-dot" title="Updated while the capture runs">● live</span>}
      </header>
      {!props.collapsed && list.length > 0 && (
        <div className="findings">
          {list.slice(0, shown).map((f, i) => {
            const ev = f.evidence ?? {};
            const isOpen = open[i] ?? false;
            return (
              <article key={f.id + i} className={'finding sev-' + f.severity} data-testid="finding">
                <div className="finding-head" onClick={() => setOpen((o) => ({ ...o, [i]: !isOpen }))}>
                  <span className="twisty">{isOpen ? '▾' : '▸'}</span>
                  <span className={'badge sev-' + f.severity}>{f.severity}</span>
                  <span className="finding-title">{f.title}</span>
                  <span className="finding-id muted">{f.id}</span>
                </div>
                {isOpen && (
                  <div className="finding-body">
                    <p className="story">{f.explanation}</p>
                    {f.next_steps && f.next_steps.length > 0 && (
                      <ol className="next-steps">{f.next_steps.map((s, j) => <li key={j}>{s}</li>)}</ol>
                    )}
                    <div className="evidence" data-testid="evidence">
                      <span className="ev-label">Evidence</span>
                      {ev.frames && ev.frames.length > 0 && (
                        <span className="ev-group">
                          <button disabled={!act} className="chip" title="Show only these frames" data-testid="evidence-frames" onClick={() => act?.frames(ev.frames!)}>
                            {ev.frames.length} frame{ev.frames.length === 1 ? '' : 's'}
                          </button>
                          {ev.frames.slice(0, 24).map((n) => (
                            <button key={n} disabled={!act} className="chip frame" title={`Go to frame ${n}`} data-testid="evidence-frame" onClick={() => act?.frame(n)}>#{n}</button>
                          ))}
                          {ev.frames.length > 24 && <span className="muted">…</span>}
                        </span>
                      )}
                      {ev.streams && ev.streams.length > 0 && (
                        <span className="ev-group">
                          <button disabled={!act} className="chip" title="Show only these streams" data-testid="evidence-streams" onClick={() => act?.streams(ev.streams!)}>
                            stream{ev.streams.length === 1 ? '' : 's'} {ev.streams.slice(0, 12).join(', ')}{ev.streams.length > 12 ? '…' : ''}
                          </button>
                        </span>
                      )}
                      {ev.addresses?.map((a) => (
                        <button key={a} disabled={!act} className="chip addr" title={`Filter on ${a}`} onClick={() => act?.address(a)}>{a}</button>
                      ))}
                      {(ev.frames?.length || ev.streams?.length) ? (
                        <button disabled={!act} className="chip" title="Flow graph of the evidence" data-testid="evidence-flow" onClick={() => act?.flow(f)}>⇄ flow graph</button>
                      ) : null}
                      {ev.first_time && <span className="muted ev-time">{formatDate(ev.first_time)} → {formatDate(ev.last_time)}</span>}
                      {ev.counts && <span className="muted ev-counts">{Object.entries(ev.counts).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v}`).join(' · ')}</span>}
                    </div>
                  </div>
                )}
              </article>
            );
          })}
          {list.length > shown && (
            <div className="pad"><button onClick={() => setShown((n) => n + 500)}>Show {Math.min(500, list.length - shown)} more of {list.length - shown} findings</button></div>
          )}
        </div>
      )}
    </section>
  );
}
