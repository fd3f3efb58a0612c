/**
 * Renders findings: a terminal report (colours only when asked, i.e. on a TTY), Markdown, and
 * the documented JSON form (see finding.ts). Every text comes in the language asked for.
 *
 * @example
 * process.stdout.write(renderText(findings, files, 'en', process.stdout.isTTY));
 */
import type { CaptureFacts } from './facts.js';
import { isoTime, timeText, type Finding, type Lang, type Severity } from './finding.js';
import type { Story } from './story.js';

export const SCHEMA_VERSION = 1;

const label: Record<Lang, Record<Severity, string>> = {
  en: { error: 'ERROR', warning: 'WARNING', info: 'INFO' },
  zh: { error: '错误', warning: '警告', info: '信息' },
};

const words = {
  en: { filter: (f: string) => `Display filter: ${f} — only connections (and ICMP errors) with a matching packet are diagnosed; every packet is still analysed.`, healthyFiltered: 'No problems found in the connections the display filter selects.', why: 'Why', next: 'Next steps', evidence: 'Evidence', frames: 'frames', streams: 'tcp/udp streams', addresses: 'addresses', time: 'time', counts: 'counts', healthy: 'No problems found: every connection in the capture looks healthy.', file: 'Capture', found: (n: number) => `${n} finding(s)`, story: 'One story', findingsWord: 'findings' },
  zh: { filter: (f: string) => `显示过滤器：${f} —— 只诊断含有匹配报文的连接（及 ICMP 错误）；仍分析全部报文。`, healthyFiltered: '显示过滤器选中的连接中没有发现问题。', why: '原因', next: '下一步', evidence: '证据', frames: '帧', streams: 'tcp/udp 流', addresses: '地址', time: '时间', counts: '计数', healthy: '没有发现问题：抓包中的所有连接看起来都正常。', file: '抓包文件', found: (n: number) => `发现 ${n} 个问题`, story: '同一原因', findingsWord: '问题' },
};

const colours: Record<Severity, string> = { error: '\x1b[1;31m', warning: '\x1b[1;33m', info: '\x1b[1;36m' };

function fileLine(f: CaptureFacts, lang: Lang): string {
  return `${words[lang].file}: ${f.file} — ${f.frames} frames, ${timeText(f.frames ? f.firstTime : null)} … ${timeText(f.frames ? f.lastTime : null)} UTC`;
}

/** The display filter the diagnosis was restricted to (the same for every capture), if any. */
function filterOf(files: CaptureFacts[]): string | null {
  return files.find((f) => f.filter !== undefined)?.filter ?? null;
}

function countsText(c: Record<string, number>): string {
  return Object.entries(c).map(([k, v]) => `${k}=${v}`).join(', ');
}

/** The terminal report; `colour` adds ANSI colours (callers pass true only for a TTY). */
export function renderText(findings: Finding[], files: CaptureFacts[], lang: Lang, colour: boolean, stories: Story[] = []): string {
  const w = words[lang];
  const bold = (s: string) => (colour ? `\x1b[1m${s}\x1b[0m` : s);
  const lines: string[] = files.map((f) => fileLine(f, lang));
  const filter = filterOf(files);
  if (filter !== null) lines.push(bold(w.filter(filter)));
  lines.push('');
  if (!findings.length) {
    lines.push(filter !== null ? w.healthyFiltered : w.healthy);
    return lines.join('\n') + '\n';
  }
  for (const s of stories) {
    lines.push(bold(`${w.story}: ${s.title[lang]}`));
    for (const e of s.timeline) lines.push(`  ${e.time ? timeText(e.time) : '-'.padEnd(23)}  #${e.index + 1} [${e.finding}] ${e.text[lang]}${e.frames.length ? ` (${w.frames} ${e.frames.join(', ')}${files.length > 1 && e.files.length ? ` in ${e.files.join(', ')}` : ''})` : ''}`);
    lines.push('');
  }
  lines.push(bold(w.found(findings.length)));
  findings.forEach((f, i) => {
    const t = f.text[lang];
    const sev = label[lang][f.severity];
    lines.push('');
    lines.push(`${i + 1}. ${colour ? `${colours[f.severity]}${sev}\x1b[0m` : sev} [${f.id}] ${bold(t.title)}`);
    lines.push(`   ${w.why}: ${t.explanation}`);
    lines.push(`   ${w.next}:`);
    for (const s of t.nextSteps) lines.push(`     - ${s}`);
    const e = f.evidence;
    lines.push(`   ${w.evidence}: ${w.frames} ${e.frames.join(', ') || '-'}; ${w.streams} ${e.streams.join(', ') || '-'}; ${w.addresses} ${e.addresses.join(', ')}`);
    lines.push(`     ${w.time} ${timeText(e.firstTime)} … ${timeText(e.lastTime)} UTC; ${w.counts} ${countsText(e.counts)}`);
  });
  return lines.join('\n') + '\n';
}

/** Markdown report. */
export function renderMarkdown(findings: Finding[], files: CaptureFacts[], lang: Lang, stories: Story[] = []): string {
  const w = words[lang];
  const out: string[] = ['# wiresage doctor', ''];
  for (const f of files) out.push(`- ${fileLine(f, lang)}`);
  const filter = filterOf(files);
  if (filter !== null) out.push(`- ${w.filter(`\`${filter.replace(/`/g, "'")}\``)}`);
  out.push('');
  if (!findings.length) return out.concat(filter !== null ? w.healthyFiltered : w.healthy, '').join('\n');
  for (const s of stories) {
    out.push(`## ${w.story}: ${s.title[lang]}`, '', `| ${w.time} | | |`, '|---|---|---|');
    for (const e of s.timeline) out.push(`| ${e.time ? timeText(e.time) : '-'} | \`${e.finding}\` | ${e.text[lang].replace(/\|/g, '\\|')} (${w.frames} ${e.frames.join(', ') || '-'}) |`);
    out.push('');
  }
  for (const f of findings) {
    const t = f.text[lang];
    const e = f.evidence;
    out.push(`## ${label[lang][f.severity]} \`${f.id}\`: ${t.title}`, '', `**${w.why}:** ${t.explanation}`, '', `**${w.next}:**`, '');
    for (const s of t.nextSteps) out.push(`- ${s}`);
    out.push('', `**${w.evidence}:**`, '',
      `| | |`, `|---|---|`,
      `| ${w.frames} | ${e.frames.join(', ') || '-'} |`,
      `| ${w.streams} | ${e.streams.join(', ') || '-'} |`,
      `| ${w.addresses} | ${e.addresses.join(', ')} |`,
      `| ${w.time} | ${timeText(e.firstTime)} … ${timeText(e.lastTime)} UTC |`,
      `| ${w.counts} | ${countsText(e.counts)} |`, '');
  }
  return out.join('\n');
}

/** The JSON document (schema version 1, documented in finding.ts). */
export function toJson(findings: Finding[], files: CaptureFacts[], lang: Lang, stories: Story[] = []): object {
  return {
    version: SCHEMA_VERSION,
    display_filter: filterOf(files),
    files: files.map((f) => ({ path: f.file, frames: f.frames, first_time: isoTime(f.frames ? f.firstTime : null), last_time: isoTime(f.frames ? f.lastTime : null) })),
    findings: findings.map((f) => ({
      id: f.id,
      severity: f.severity,
      title: f.text[lang].title,
      explanation: f.text[lang].explanation,
      next_steps: f.text[lang].nextSteps,
      evidence: {
        files: f.evidence.files ?? [],
        frames: f.evidence.frames,
        streams: f.evidence.streams,
        addresses: f.evidence.addresses,
        first_time: isoTime(f.evidence.firstTime),
        last_time: isoTime(f.evidence.lastTime),
        counts: f.evidence.counts,
      },
    })),
    stories: stories.map((s) => ({
      findings: s.findings,
      title: s.title[lang],
      timeline: s.timeline.map((e) => ({ time: e.time ? isoTime(e.time) : null, finding: e.finding, index: e.index, text: e.text[lang], frames: e.frames, streams: e.streams, files: e.files })),
    })),
  };
}

/**
 * Writes a JSON document as `JSON.stringify(doc, null, 2)` would, piece by piece: the elements of
 * its top-level arrays (findings, stories: thousands when two unrelated captures are compared)
 * are stringified one at a time, so the whole text never exists at once.
 *
 * @example
 * writeJson(toJson(findings, all, 'en', stories), (s) => process.stdout.write(s));
 */
export function writeJson(doc: object, write: (s: string) => void): void {
  const entries = Object.entries(doc).filter(([, v]) => v !== undefined && typeof v !== 'function');
  if (!entries.length) {
    write('{}');
    return;
  }
  write('{\n');
  entries.forEach(([k, v], i) => {
    write(`  ${JSON.stringify(k)}: `);
    if (Array.isArray(v) && v.length) {
      write('[\n');
      for (let j = 0; j < v.length; j++) write(`    ${indented(v[j], '    ')}${j < v.length - 1 ? ',' : ''}\n`);
      write('  ]');
    } else {
      write(indented(v, '  '));
    }
    write(i < entries.length - 1 ? ',\n' : '\n');
  });
  write('}');
}

/** `JSON.stringify(x, null, 2)` nested at `indent` (strings in JSON never hold a raw newline). */
function indented(x: unknown, indent: string): string {
  const text = JSON.stringify(x, null, 2) ?? 'null';
  return text.includes('\n') ? text.replace(/\n/g, `\n${indent}`) : text;
}

