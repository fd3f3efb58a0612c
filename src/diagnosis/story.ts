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

function linked(a: Finding, b: Finding): boolean {
  const fa = a.evidence.files ?? [];
  const fb = b.evidence.files ?? [];
  // The same stream number in the same capture.
  if (a.evidence.streams.some((s) => b.evidence.streams.includes(s)) && fa.some((x) => fb.includes(x)) && !(a.id === 'path.nat' || b.id === 'path.nat')) return true;
  if (!(EXPLAINS.has(a.id) || EXPLAINS.has(b.id))) return false;
  const ea = endpoints(a);
  return endpoints(b).some((e) => ea.includes(e)) || ((a.id === 'path.nat' || b.id === 'path.nat') && fa.some((x) => fb.includes(x)) && fa.length > 1 && fb.length > 1);
}

/** Groups findings into stories (only groups of two or more); the findings list is not changed. */
export function tellStories(findings: Finding[]): Story[] {
  const parent = findings.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  for (let i = 0; i < findings.length; i++) {
    for (let j = i + 1; j < findings.length; j++) {
      if (findings[i].severity === 'info' && findings[j].severity === 'info') continue;
      if (linked(findings[i], findings[j])) parent[find(j)] = find(i);
    }
  }
  const groups = new Map<number, number[]>();
  findings.forEach((_, i) => {
    const r = find(i);
    groups.set(r, [...(groups.get(r) ?? []), i]);
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

/**
 * Every rule on every capture, the comparison of each pair of captures (facts collected with
 * `fingerprint: true` when there are several), the captures each finding rests on, and stories.
 */
export function diagnoseAll(all: CaptureFacts[]): { findings: Finding[]; stories: Story[] } {
  const findings: Finding[] = [];
  for (const facts of all) {
    for (const f of diagnose(facts)) {
      f.evidence.files = [facts.file];
      findings.push(f);
    }
  }
  if (all.length > 1) {
    for (const f of diagnoseAcross(all)) {
      f.evidence.files = all.map((x) => x.file).filter((file) => f.evidence.addresses.includes(file));
      findings.push(f);
    }
  }
  sortFindings(findings);
  return { findings, stories: tellStories(findings) };
}
