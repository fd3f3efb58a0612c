/**
 * Two captures side by side: which packets are the same packet seen at two points, which were
 * seen at one point only, the NAT rewriting and the clock offset between them — all from the
 * diagnosis' cross-capture matcher (src/diagnosis/compare.ts: IP ID, TCP flags, raw SEQ/ACK,
 * length and payload hash, never timestamps) — and the doctor's cross-capture findings.
 */
import { collectFacts, diagnoseAcross, toJson } from '../diagnosis/index.js';
import type { Capture } from './capture.js';

/** The parts of the matcher's result the UI uses. */
interface Comparison {
  matched: Array<[number, number]>;
  matchedRelative: number;
  onlyA: number[];
  onlyB: number[];
  nat: unknown[];
  clockOffset: unknown;
  sideA: string[];
  sideB: string[];
}

type Matcher = (a: string, b: string, opts?: { keepPairs?: boolean }) => Promise<Comparison>;

async function matcher(): Promise<Matcher> {
  const spec = '../diagnosis/compare.js';
  const m = (await import(spec)) as { matchCaptures?: Matcher };
  if (!m.matchCaptures) throw new Error('the cross-capture matcher (src/diagnosis/compare.ts) is not available');
  return m.matchCaptures;
}

export async function compareCaptures(a: Capture, b: Capture): Promise<object> {
  const match = await matcher();
  const pa = a.snapshot();
  const pb = b.snapshot();
  const r = await match(pa, pb);
  const [fa, fb] = await Promise.all([collectFacts(pa), collectFacts(pb)]);
  fa.file = a.name;
  fb.file = b.name;
  const findings = toJson(diagnoseAcross([fa, fb]), [fa, fb], 'en');
  return {
    pointA: { id: a.id, name: a.name },
    pointB: { id: b.id, name: b.name },
    matched: r.matched,
    matchedRelative: r.matchedRelative,
    onlyA: r.onlyA,
    onlyB: r.onlyB,
    nat: r.nat,
    clockOffset: r.clockOffset,
    sideA: r.sideA,
    sideB: r.sideB,
    findings,
  };
}
