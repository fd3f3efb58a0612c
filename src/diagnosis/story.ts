/**
 * Findings that share a cause, told as one story with a timeline. Rules already fold the
 * closest chains into one finding (failed logins → blocked connections is
 * `auth.failed.then.blocked`); what remains linked is found here: two findings belong to one
 * story when they rest on the same connection (the same stream of the same capture), or when
 * they concern the same server endpoint and one of them says where on the path it happened
 * (`path.drop`, `path.nat`) or why (`mtu.blackhole` behind `tcp.loss`). Each story lists its
 * findings' moments in time order, with the frames to jump to.
 *
 * @example
 * const { findings, stories } = diagnoseAll([clientFacts, serverFacts]);
 * for (const s of stories) for (const e of s.timeline) console.log(clockText(e.time), e.finding, e.text.en);
 */
import type { CaptureFacts } from './facts.js';
import { clockText, severityRank, type Finding, type Lang } from './finding.js';
import { diagnose, diagnoseAcross, sortFindings } from './rules.js';

export interface TimelineEntry {
  /** Seconds since the epoch (UTC). */
  time: number;
  /** Id of the finding this moment belongs to, and its index in the findings list. */
  finding: string;
  index: number;
  text: Record<Lang, string>;
  frames: number[];
  streams: number[];
  files: string[];
}

export interface Story {
  /** Indexes into the findings list, most severe first. */
  findings: number[];
  title: Record<Lang, string>;
  timeline: TimelineEntry[];
}

/** Ids that say where on the path or why, and so explain other findings about the same server. */
const EXPLAINS = new Set(['path.drop', 'path.nat', 'mtu.blackhole']);

/** `addr:port` endpoints in a finding's evidence (not plain client addresses or file names). */
function endpoints(f: Finding): string[] {
  return f.evidence.addresses.filter((a) => /^(\[[^\]]+\]|[\d.]+):\d+$/.test(a));
}

/**
 * Groups findings into stories (only groups of two or more); the findings list is not changed.
 * Links are found through indexes (stream in a capture, server endpoint), not by comparing
 * every pair: a busy capture has thousands of findings.
 */
export function tellStories(findings: Finding[]): Story[] {
  const parent = findings.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const union = (i: number, j: number) => {
    // Two notes (info) alone are no story.
    if (findings[i].severity === 'info' && findings[j].severity === 'info') return;
    parent[find(j)] = find(i);
  };
  /** Links every member of each bucket with its members that `lead`s (all of them when lead is undefined). */
  const link = (buckets: Map<string, number[]>, lead?: (i: number) => boolean) => {
    for (const members of buckets.values()) {
      for (const i of members) {
        if (lead && !lead(i)) continue;
        for (const j of members) if (j !== i) union(i, j);
        if (!lead) break; // linked to the first member; the rest follow through it
      }
    }
  };
  const add = (m: Map<string, number[]>, key: string, i: number) => {
    const l = m.get(key);
    if (!l) m.set(key, [i]);
    else if (l[l.length - 1] !== i) l.push(i);
  };
  // The same stream number in the same capture (path.nat's evidence streams are not connections).
  const byStream = new Map<string, number[]>();
  // The same server endpoint, when one of the findings says where on the path or why.
  const byEndpoint = new Map<string, number[]>();
  const multiFile: number[] = [];
  findings.forEach((f, i) => {
    const files = f.evidence.files ?? [];
    if (f.id !== 'path.nat') for (const file of files) for (const s of f.evidence.streams) add(byStream, `${file}\n${s}`, i);
    for (const e of endpoints(f)) add(byEndpoint, e, i);
    if (files.length > 1) multiFile.push(i);
  });
  // A bucket of findings that are all info has no lead besides info: union skips those pairs.
  const firstLeads = new Map<string, number[]>();
  for (const [k, members] of byStream) {
    const lead = members.find((i) => findings[i].severity !== 'info');
    if (lead !== undefined) firstLeads.set(k, [lead, ...members.filter((i) => i !== lead)]);
  }
  link(firstLeads);
  link(byEndpoint, (i) => EXPLAINS.has(findings[i].id));
  // path.nat with several captures: every other finding resting on the same captures.
  for (const i of multiFile) {
    if (findings[i].id !== 'path.nat') continue;
    for (const j of multiFile) {
      if (i === j) continue;
      const fb = findings[j].evidence.files ?? [];
      if ((findings[i].evidence.files ?? []).some((x) => fb.includes(x))) union(i, j);
    }
  }
  const groups = new Map<number, number[]>();
  findings.forEach((_, i) => {
    const r = find(i);
    const g = groups.get(r);
    if (g) g.push(i);
    else groups.set(r, [i]);
  });
  const stories: Story[] = [];
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    members.sort((x, y) => severityRank[findings[x].severity] - severityRank[findings[y].severity] || (findings[x].evidence.firstTime ?? 0) - (findings[y].evidence.firstTime ?? 0));
    const timeline: TimelineEntry[] = members.map((i) => {
      const f = findings[i];
      return {
        time: f.evidence.firstTime ?? 0, finding: f.id, index: i, text: { en: f.text.en.title, zh: f.text.zh.title },
        frames: f.evidence.frames.slice(0, 6), streams: f.evidence.streams, files: f.evidence.files ?? [],
      };
    }).sort((a, b) => (a.time || Infinity) - (b.time || Infinity));
    const start = timeline.find((e) => e.time > 0)?.time ?? 0;
    const ids = [...new Set(timeline.map((e) => e.finding))];
    const lead = findings[members[0]];
    stories.push({
      findings: members,
      title: {
        en: `One cause behind ${members.length} findings (${ids.join(', ')}), from ${clockText(start)} on: ${lead.text.en.title}`,
        zh: `${members.length} 个问题（${ids.join('、')}）同一原因，自 ${clockText(start)} 起：${lead.text.zh.title}`,
      },
      timeline,
    });
  }
  return stories.sort((a, b) => (a.timeline[0]?.time ?? 0) - (b.timeline[0]?.time ?? 0));
}

/** The single-capture rules on one capture's facts, each finding naming that capture (`parallel.ts` runs it in the capture's worker). */
export function diagnoseCapture(facts: CaptureFacts): Finding[] {
  const findings = diagnose(facts);
  for (const f of findings) f.evidence.files = [facts.file];
  return findings;
}

/**
 * Every rule on every capture, the comparison of each pair of captures (facts collected with
 * `fingerprint: true` when there are several), the captures each finding rests on, and stories.
 * `perCapture`: the single-capture findings when they were already made (`diagnoseCapture`).
 */
export function diagnoseAll(all: CaptureFacts[], perCapture: Finding[][] = all.map(diagnoseCapture)): { findings: Finding[]; stories: Story[] } {
  const findings: Finding[] = perCapture.flat();
  if (all.length > 1) {
    for (const f of diagnoseAcross(all)) {
      f.evidence.files = all.map((x) => x.file).filter((file) => f.evidence.addresses.includes(file));
      findings.push(f);
    }
  }
  sortFindings(findings);
  return { findings, stories: tellStories(findings) };
}
