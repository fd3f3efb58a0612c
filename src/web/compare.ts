/**
 * Two captures side by side: which packets are the same packet seen at two points, which were
 * seen at one point only, the NAT rewriting and the clock offset between them — all from the
 * diagnosis' cross-capture matcher (src/diagnosis/compare.ts: IP ID, TCP flags, raw SEQ/ACK,
 * length and payload hash, never timestamps) — and the doctor's cross-capture findings. One
 * pass per capture: the doctor's facts are collected with the packet fingerprints.
 */
import * as fs from 'node:fs';
import { compareIndexes } from '../diagnosis/compare.js';
import { collectFacts, diagnoseAll, toJson } from '../diagnosis/index.js';
import type { Capture } from './capture.js';

export async function compareCaptures(a: Capture, b: Capture): Promise<object> {
  const pa = a.snapshot();
  const pb = b.snapshot();
  try {
    const [fa, fb] = await Promise.all([collectFacts(pa, { fingerprint: true }), collectFacts(pb, { fingerprint: true })]);
    const r = compareIndexes(fa.index!, fb.index!);
    // As `wiresage doctor A B`: each capture's findings, the cross-capture ones, their stories.
    const { findings: list, stories } = diagnoseAll([fa, fb]);
    let text = JSON.stringify(toJson(list, [fa, fb], 'en', stories));
    for (const [f, c] of [[fa, a], [fb, b]] as const) text = text.split(JSON.stringify(f.file).slice(1, -1)).join(JSON.stringify(c.name).slice(1, -1));
    const findings = JSON.parse(text) as object;
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
  } finally {
    if (pa !== a.path) fs.rmSync(pa, { force: true });
    if (pb !== b.path) fs.rmSync(pb, { force: true });
  }
}
