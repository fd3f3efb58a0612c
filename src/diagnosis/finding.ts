/**
 * What `wiresage doctor` reports: findings with a stable id, a severity, and text in English and
 * Chinese, plus the evidence (frames, streams, addresses, times, counts) a reader can check in
 * `wiresage read`/`follow`.
 *
 * JSON schema (`wiresage doctor --json`, version 1; `wiresage probe --json` embeds `findings`):
 * ```
 * { "version": 1,
 *   "display_filter": string|null,   // -Y FILTER as given: only connections with a matching packet were diagnosed
 *   "files": [ { "path": string, "frames": number, "first_time": ISO-8601|null, "last_time": ISO-8601|null } ],
 *   "findings": [ { "id": string,            // stable: see the list in rules.ts
 *                   "severity": "error"|"warning"|"info",
 *                   "title": string, "explanation": string, "next_steps": string[],
 *                   "evidence": { "files": string[],     // the captures frames/streams refer to
 *                                 "frames": number[],    // frame numbers (1-based, as `wiresage read`/Wireshark), at most 24
 *                                 "streams": number[],   // tcp.stream / udp.stream numbers in those captures
 *                                 "addresses": string[], // clients, server `addr:port`, ICMP senders, capture files
 *                                 "first_time": ISO-8601|null, "last_time": ISO-8601|null,
 *                                 "counts": { [name: string]: number } } } ],   // per id, e.g. syns, rst_ttl
 *   "stories": [ { "findings": number[],      // indexes into "findings", most severe first
 *                  "title": string,
 *                  "timeline": [ { "time": ISO-8601|null, "finding": string, "index": number, "text": string,
 *                                  "frames": number[], "streams": number[], "files": string[] } ] } ] }
 * ```
 * Findings are ordered by severity (error, warning, info), then by first time. Text is in the
 * language asked for (`--lang en|zh`); ids, counts names and the shape never change with it.
 * Exit code of doctor/probe: 1 when a finding at warning level or above is present.
 *
 * @example
 * const f: Finding = { id: 'tcp.syn.unanswered', severity: 'error', text: { en: {...}, zh: {...} }, evidence };
 */

export type Severity = 'error' | 'warning' | 'info';
export type Lang = 'en' | 'zh';

/** Text of a finding in one language. */
export interface FindingText {
  title: string;
  explanation: string;
  nextSteps: string[];
}

export interface Evidence {
  frames: number[];
  streams: number[];
  addresses: string[];
  /** Absolute times in seconds since the epoch (UTC). */
  firstTime: number | null;
  lastTime: number | null;
  counts: Record<string, number>;
  /** Captures the frames and streams belong to (set by diagnoseAll; frame/stream numbers are per capture). */
  files?: string[];
}

export interface Finding {
  id: string;
  severity: Severity;
  text: Record<Lang, FindingText>;
  evidence: Evidence;
}

export const severityRank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Most frames listed as evidence per finding. */
export const MAX_FRAMES = 24;

/** `2026-11-25 10:05:13.412` (UTC). */
export function timeText(t: number | null): string {
  if (t === null) return '-';
  return new Date(Math.round(t * 1000)).toISOString().replace('T', ' ').replace('Z', '');
}

/** `10:05:13` (UTC clock time, for stories). */
export function clockText(t: number): string {
  return new Date(Math.round(t * 1000)).toISOString().slice(11, 19);
}

/** ISO-8601 with milliseconds, or null. */
export function isoTime(t: number | null): string | null {
  return t === null ? null : new Date(Math.round(t * 1000)).toISOString();
}

/** Seconds with up to 3 decimals: `1.02 s`, `0.003 s`. */
export function seconds(s: number): string {
  return `${s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(2) : s.toFixed(3)} s`;
}

/** Builds evidence from lists, de-duplicated and sorted, frames capped. */
export function evidence(frames: number[], streams: number[], addresses: string[], times: number[], counts: Record<string, number>): Evidence {
  const uniq = <T>(xs: T[]) => [...new Set(xs)];
  const f = uniq(frames).sort((a, b) => a - b);
  return {
    frames: f.slice(0, MAX_FRAMES),
    streams: uniq(streams).sort((a, b) => a - b),
    addresses: uniq(addresses),
    firstTime: times.length ? times.reduce((m, t) => Math.min(m, t)) : null,
    lastTime: times.length ? times.reduce((m, t) => Math.max(m, t)) : null,
    counts,
  };
}
