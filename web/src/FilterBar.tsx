// Display filter bar: validated as you type (green valid, red invalid, as Wireshark), field-name completion, history.
import { useEffect, useRef, useState } from 'react';
import { api, errorMessage, type FieldInfo, type FilterError } from './api';
import { Progress } from './ui';

const HISTORY_KEY = 'wiresage.filterHistory';
export function filterHistory(): string[] {
  try { return JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]') as string[]; } catch { return []; }
}
function remember(f: string) {
  const h = [f, ...filterHistory().filter((x) => x !== f)].slice(0, 30);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(h));
}

type Status = { kind: 'empty' } | { kind: 'checking' } | { kind: 'ok'; canonical: string; warning?: string } | { kind: 'error'; error: FilterError };

/** The field name being typed at the caret, if any. */
function wordAt(text: string, caret: number): { start: number; word: string } | null {
  const before = text.slice(0, caret);
  const quotes = (before.match(/(?<!\\)"/g) ?? []).length;
  if (quotes % 2 === 1) return null;
  const m = /[A-Za-z_][A-Za-z0-9_.\-]*$/.exec(before);
  if (!m) return null;
  if (/[A-Za-z0-9_.\-]/.test(text[caret] ?? '')) return null;
  if (m.index > 0 && /[0-9.:]/.test(before[m.index - 1])) return null;
  return { start: m.index, word: m[0] };
}

export function FilterBar(props: {
  applied: string; onApply: (f: string) => void; progress?: { value: number; label: string } | null;
  prepared?: { text: string; n: number } | null;
}) {
  const [text, setText] = useState(props.applied);
  const [status, setStatus] = useState<Status>({ kind: 'empty' });
  const [sugg, setSugg] = useState<FieldInfo[]>([]);
  const [hl, setHl] = useState(-1);
  const [showHist, setShowHist] = useState(false);
  const [focused, setFocused] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const word = useRef<{ start: number; word: string } | null>(null);
  const seq = useRef(0);

  useEffect(() => { setText(props.applied); }, [props.applied]);
  useEffect(() => {
    if (props.prepared) { setText(props.prepared.text); input.current?.focus(); }
  }, [props.prepared]);

  // Validate as you type.
  useEffect(() => {
    const f = text.trim();
    if (!f) { setStatus({ kind: 'empty' }); return; }
    setStatus((s) => (s.kind === 'empty' ? { kind: 'checking' } : s));
    const n = ++seq.current;
    const t = setTimeout(async () => {
      try {
        const r = await api.checkFilter(f);
        if (n !== seq.current) return;
        setStatus(r.ok ? { kind: 'ok', canonical: r.canonical, warning: r.warning } : { kind: 'error', error: r.error });
      } catch (e) {
        if (n === seq.current) setStatus({ kind: 'error', error: { message: errorMessage(e) } });
      }
    }, 120);
    return () => clearTimeout(t);
  }, [text]);

  const updateSuggestions = (t: string, caret: number) => {
    const w = wordAt(t, caret);
    word.current = w;
    if (!w || w.word.length < 1) { setSugg([]); return; }
    api.fields(w.word, 40).then((list) => {
      if (word.current !== w) return;
      setSugg(list.filter((f) => f.name !== w.word || list.length > 1));
      setHl(-1);
    }).catch(() => setSugg([]));
  };

  const accept = (f: FieldInfo) => {
    const w = word.current;
    if (!w) return;
    const next = text.slice(0, w.start) + f.name + text.slice(w.start + w.word.length);
    setText(next);
    setSugg([]);
    word.current = null;
    const caret = w.start + f.name.length;
    requestAnimationFrame(() => { input.current?.setSelectionRange(caret, caret); input.current?.focus(); });
  };

  const apply = (f: string) => {
    const v = f.trim();
    if (v && status.kind === 'error' && v === text.trim()) return;
    if (v) remember(v);
    setSugg([]);
    setShowHist(false);
    props.onApply(v);
  };

  const onKeyDown = (e: React.KeyboardEvent<HTMLInputElement>) => {
    const open = sugg.length > 0 && focused;
    if (open && e.key === 'ArrowDown') { setHl((h) => Math.min(sugg.length - 1, h + 1)); e.preventDefault(); return; }
    if (open && e.key === 'ArrowUp') { setHl((h) => Math.max(-1, h - 1)); e.preventDefault(); return; }
    if (open && (e.key === 'Tab' || (e.key === 'Enter' && hl >= 0))) { accept(sugg[Math.max(0, hl)]); e.preventDefault(); return; }
    if (e.key === 'Escape') { setSugg([]); setShowHist(false); return; }
    if (e.key === 'Enter') { e.preventDefault(); apply(text); }
  };

  const cls = status.kind === 'ok' ? (status.warning ? 'warn' : 'valid') : status.kind === 'error' ? 'invalid' : '';
  const err = status.kind === 'error' ? status.error : null;
  const hist = filterHistory();
  return (
    <div className="filter-bar">
      <div className="filter-input-wrap">
        <input ref={input} className={'filter-input ' + cls} value={text} spellCheck={false} autoComplete="off"
          placeholder="Apply a display filter … <Ctrl-/>" aria-label="Display filter" data-testid="filter-input"
          aria-invalid={status.kind === 'error'}
          onChange={(e) => { setText(e.target.value); updateSuggestions(e.target.value, e.target.selectionStart ?? e.target.value.length); }}
          onKeyDown={onKeyDown} onFocus={() => setFocused(true)} onBlur={() => setTimeout(() => { setFocused(false); setShowHist(false); }, 150)} />
        {sugg.length > 0 && focused && (
          <div className="autocomplete" role="listbox" data-testid="autocomplete">
            {sugg.map((f, i) => (
              <div key={f.name} role="option" aria-selected={i === hl} className={i === hl ? 'hl' : ''}
                onMouseDown={(e) => { e.preventDefault(); accept(f); }}>
                <span className="ac-name">{f.name}</span><span className="ac-desc">{f.display}</span><span className="ac-type">{f.type}</span>
              </div>
            ))}
          </div>
        )}
        {showHist && (
          <div className="autocomplete" role="listbox" aria-label="Filter history">
            {hist.length === 0 && <div className="empty">No recent filters</div>}
            {hist.map((h) => <div key={h} role="option" onMouseDown={(e) => { e.preventDefault(); setText(h); apply(h); }}>{h}</div>)}
          </div>
        )}
      </div>
      <button className="icon" title="Recent filters" aria-label="Recent filters" onClick={() => setShowHist((s) => !s)}>▾</button>
      <button className="icon" title="Clear the display filter" aria-label="Clear filter" onClick={() => { setText(''); apply(''); }}>✕</button>
      <button title="Apply the display filter (Enter)" data-testid="filter-apply" onClick={() => apply(text)} disabled={status.kind === 'error'}>Apply</button>
      {props.progress && <span className="filter-progress"><Progress value={props.progress.value} label={props.progress.label} /> {props.progress.label}</span>}
      <span className={'filter-msg ' + cls} data-testid="filter-message" role="status" title={err?.message ?? (status.kind === 'ok' ? status.warning : undefined)}>
        {err ? <>{err.message}{err.start !== undefined && err.end !== undefined && err.end > err.start ? <> — <code>{text.trim().slice(err.start, err.end)}</code></> : null}
          {err.suggestions?.length ? <> Did you mean {err.suggestions.map((s, i) => <button key={s} className="link" onClick={() => {
            if (err.start !== undefined && err.end !== undefined) { const t = text.trim(); setText(t.slice(0, err.start) + s + t.slice(err.end)); } else setText(s);
          }}>{i ? ', ' : ''}{s}</button>)}?</> : null}</>
          : status.kind === 'ok' && status.warning ? status.warning : ''}
      </span>
    </div>
  );
}
