/**
 * `wiresage probe HOST:PORT [--proto P] [--via TARGET]`: what an engineer does by hand when
 * "telnet works but the application cannot connect" — capture while connecting, speak the
 * protocol's first steps (src/diagnosis/probe.ts: TNS CONNECT following every REDIRECT,
 * MySQL greeting, PostgreSQL startup, Redis PING, TLS ClientHello, HTTP HEAD; never a password
 * unless given), then diagnose that capture (src/diagnosis) and tell each hop:
 *
 *   10.0.0.10:1521  TCP connected (0.4 ms) · TNS CONNECT SERVICE_NAME=orcl → REDIRECT to 10.0.0.21:1521
 *   10.0.0.21:1521  (redirected by 10.0.0.10:1521) SYN unanswered ×3 over 3.0 s → tns.redirect.unreachable
 *
 * `--via container:app|pod:ns/name|pid:N|netns:NAME` probes from inside that network namespace
 * (src/capture/targets): the capture opens there, and the connecting runs in a child process
 * entered into it with nsenter. The capture keeps only the packets to and from the addresses
 * probed (`-w FILE` saves it). Capturing needs root (or CAP_NET_RAW/CAP_NET_ADMIN).
 *
 * Exit code: 0 every hop answered and no finding at warning level or above; 1 otherwise (or
 * the capture could not start); 2 usage error.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../decode/protocols.js';
import { AddonUnavailableError } from '../capture/addon.js';
import { openSource, type Backend } from '../capture/open.js';
import { CaptureSession } from '../capture/session.js';
import { CaptureOpenError, type CaptureSource } from '../capture/source.js';
import { resolveTarget, TargetError } from '../capture/targets/index.js';
import { Decoder } from '../decode/decoder.js';
import { openCapture } from '../file/open.js';
import { fileSink, PcapWriter } from '../file/writer.js';
import { FlowPacket, fromDecoded, Walk } from '../flows/headers.js';
import { ipv4ToString, ipv6ToString } from '../decode/bytes.js';
import { collectFacts, diagnose, renderText, toJson, type CaptureFacts, type Finding, type Lang } from '../diagnosis/index.js';
import { parseHostPort, PROBE_PROTOS, protoForPort, speak, type ProbeProto, type ProbeStep } from '../diagnosis/probe.js';
import { intOption, UsageError, type OptionSpec, type Parsed } from './args.js';
import { Output } from './output.js';

export const probeOptions: OptionSpec[] = [
  { name: 'proto', kind: 'value', arg: 'P', help: `protocol to speak: ${PROBE_PROTOS.join(', ')} (default from the port: 1521 oracle, 3306 mysql, 5432 postgres, 6379 redis, 443 tls, 80 http, else tcp)` },
  { name: 'via', kind: 'value', arg: 'TARGET', help: 'probe from inside container:NAME, pod:NS/NAME, pid:N or netns:NAME (default: this host)' },
  { name: 'service', kind: 'value', arg: 'NAME', help: 'oracle: SERVICE_NAME in the CONNECT (default ORCL)' },
  { name: 'user', kind: 'value', arg: 'USER', help: 'postgres: user in the startup message (default wiresage; no password is sent)' },
  { name: 'database', kind: 'value', arg: 'DB', help: 'postgres: database in the startup message (default: the user)' },
  { name: 'password', kind: 'value', arg: 'PW', help: 'redis: AUTH with this password (never sent unless given)' },
  { name: 'timeout', kind: 'value', arg: 'SECONDS', help: 'per connection (default 5)' },
  { name: 'write', short: 'w', kind: 'value', arg: 'FILE', help: 'keep the capture (pcap) in FILE' },
  { name: 'backend', kind: 'value', arg: 'B', help: 'native (default, libpcap addon) or tcpdump' },
  { name: 'json', kind: 'flag', help: 'JSON {version, target, via, proto, hops, capture, findings} (findings as in doctor --json)' },
  { name: 'lang', kind: 'value', arg: 'LANG', help: 'en (default) or zh' },
  { name: 'speak-only', kind: 'flag', help: '(internal) speak and print the steps as JSON, no capture: what runs inside --via' },
];

/** The capture filter: everything a connection attempt can cause (answers, ICMP errors, DNS). */
const CAPTURE_FILTER = 'tcp or icmp or icmp6 or udp port 53';

interface Hop extends ProbeStep {
  address: string;
  /** SYNs sent, SYN-ACKs and RSTs seen for this connection in the capture. */
  syns: number;
  synAcks: number;
  rsts: number;
  /** Seconds from the first to the last SYN. */
  synSpan: number;
  stream: number | null;
  findings: string[];
}

export async function probeCommand({ opts, rest }: Parsed): Promise<number> {
  if (rest.length !== 1) throw new UsageError('probe needs one HOST:PORT: wiresage probe db.example:1521 [--proto oracle] [--via container:app]');
  const target = parseHostPort(rest[0]);
  if (!target) throw new UsageError(`'${rest[0]}' is not HOST:PORT (IPv6: [ADDR]:PORT)`);
  const proto = ((opts.proto as string | undefined) ?? protoForPort(target.port)) as ProbeProto;
  if (!PROBE_PROTOS.includes(proto)) throw new UsageError(`--proto takes ${PROBE_PROTOS.join(', ')}, not '${proto}'`);
  const timeout = opts.timeout === undefined ? 5 : Number(opts.timeout);
  if (!(timeout > 0 && timeout <= 600)) throw new UsageError(`--timeout takes seconds between 0 and 600, not '${opts.timeout}'`);
  const lang = ((opts.lang as string | undefined) ?? 'en') as Lang;
  if (lang !== 'en' && lang !== 'zh') throw new UsageError(`--lang takes en or zh, not '${lang}'`);
  const backend = ((opts.backend as string | undefined) ?? 'native') as Backend;
  if (backend !== 'native' && backend !== 'tcpdump') throw new UsageError(`--backend takes native or tcpdump, not '${backend}'`);
  void intOption;
  const speakOpts = {
    timeoutMs: timeout * 1000,
    ...(opts.service ? { service: opts.service as string } : {}),
    ...(opts.user ? { user: opts.user as string } : {}),
    ...(opts.database ? { database: opts.database as string } : {}),
    ...(opts.password !== undefined ? { password: opts.password as string } : {}),
  };
  if (opts['speak-only']) {
    process.stdout.write(JSON.stringify(await speak(target.host, target.port, proto, speakOpts)) + '\n');
    return 0;
  }
  const err = (s: string) => process.stderr.write(`wiresage probe: ${s}\n`);

  // Where to probe from.
  let netns: string | undefined;
  let viaLabel: string | null = null;
  if (opts.via) {
    try {
      const t = await resolveTarget(opts.via as string);
      netns = t.netns;
      viaLabel = t.spec;
    } catch (e) {
      if (e instanceof TargetError) {
        err(e.message);
        return 1;
      }
      throw e;
    }
  }

  const dir = mkdtempSync(join(tmpdir(), 'wiresage-probe-'));
  try {
    const raw = join(dir, 'raw.pcap');
    let source: CaptureSource;
    try {
      source = await openSource(backend, { device: 'any', filter: CAPTURE_FILTER, immediate: true, ...(netns ? { netns, label: `${viaLabel}/any` } : {}) });
    } catch (e) {
      if (e instanceof AddonUnavailableError && backend === 'native') {
        source = await openSource('tcpdump', { device: 'any', filter: CAPTURE_FILTER, packetBuffered: true, ...(netns ? { netns } : {}) }).catch((e2) => {
          throw e2;
        });
      } else if (e instanceof CaptureOpenError || e instanceof AddonUnavailableError) {
        err(e.message);
        return 1;
      } else throw e;
    }
    const session = new CaptureSession({ sources: [source], files: { path: raw, format: 'pcap' } });
    session.start();
    await new Promise((r) => setTimeout(r, 100));
    let steps: ProbeStep[];
    try {
      steps = netns ? await speakInside(netns, rest[0], opts, proto) : await speak(target.host, target.port, proto, speakOpts);
    } finally {
      // Late answers (a RST, an ICMP error) still reach the capture.
      await new Promise((r) => setTimeout(r, 300));
      await session.stop();
      source.close();
    }

    // Keep only the packets of the addresses probed.
    const addresses = new Set<string>();
    for (const s of steps) addresses.add(isIP(s.host) ? s.host : await lookup(s.host).then((a) => a.address, () => s.host));
    const kept = opts.write ? (opts.write as string) : join(dir, 'probe.pcap');
    await keepOnly(raw, kept, addresses);
    const facts = await collectFacts(kept);
    if (!opts.write) facts.file = lang === 'zh' ? '探测抓包（-w FILE 可保存）' : 'probe capture (-w FILE keeps it)';
    let findings = diagnose(facts);
    let hops = describeHops(steps, facts, findings, addresses);
    // Redis answering NOAUTH to a probe that was given no password is not a failed login.
    const noauth = new Set(hops.filter((h) => opts.password === undefined && /NOAUTH/.test(h.answer ?? '') && h.stream !== null).map((h) => h.stream!));
    if (noauth.size) {
      findings = findings.filter((f) => !(f.id === 'auth.failed' && f.evidence.streams.every((s) => noauth.has(s))));
      hops = describeHops(steps, facts, findings, addresses);
    }

    const out = new Output();
    if (opts.json) {
      const doc = toJson(findings, [facts], lang) as { findings: unknown[] };
      out.line(JSON.stringify({
        version: 1, target: rest[0], proto, via: viaLabel, hops: hops.map(hopJson), capture: opts.write ? kept : null, frames: facts.frames, findings: doc.findings,
      }, null, 2));
    } else {
      out.write(hopsText(rest[0], proto, viaLabel, hops, lang));
      out.write('\n' + renderText(findings, [facts], lang, process.stdout.isTTY === true));
      if (opts.write) out.line(lang === 'zh' ? `抓包已保存：${kept}` : `Capture saved: ${kept}`);
    }
    out.flush();
    const failed = hops.some((h) => !h.ok) || findings.some((f) => f.severity !== 'info');
    return failed ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the speaking part inside the namespace (nsenter) and reads its steps. */
function speakInside(netns: string, hostPort: string, opts: Record<string, unknown>, proto: ProbeProto): Promise<ProbeStep[]> {
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const args = [`--net=${netns}`, process.execPath, main, 'probe', hostPort, '--speak-only', '--proto', proto];
  for (const k of ['service', 'user', 'database', 'password', 'timeout']) if (opts[k] !== undefined) args.push(`--${k}`, String(opts[k]));
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => reject(new Error(`cannot run nsenter: ${e.message}`)));
    child.on('close', (code) => {
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? ''));
      } catch {
        reject(new Error(`probing inside ${netns} failed (exit ${code}): ${stderr.trim() || stdout.trim()}`));
      }
    });
  });
}

/** Copies the packets involving `addresses` (ICMP errors quoting them too) from one capture to a pcap. */
async function keepOnly(from: string, to: string, addresses: Set<string>): Promise<void> {
  const reader = await openCapture(from);
  const decoder = new Decoder();
  const fp = new FlowPacket();
  let writer: PcapWriter | undefined;
  const sink = fileSink(to);
  try {
    await reader.forEach((r) => {
      const p = decoder.decode(r);
      if (fromDecoded(fp, p) !== Walk.Found && !fp.ipValid) return;
      const src = fp.family === 4 ? ipv4ToString(fp.src4) : ipv6ToString(fp.addrBuf, fp.src6);
      const dst = fp.family === 4 ? ipv4ToString(fp.dst4) : ipv6ToString(fp.addrBuf, fp.dst6);
      if (!addresses.has(src) && !addresses.has(dst)) return;
      writer ??= new PcapWriter(sink, { linkType: r.iface.linkType, snapLen: r.iface.snapLen, nanosecond: true });
      writer.writeRecord(r);
    });
    writer ??= new PcapWriter(sink, { linkType: reader.interfaces[0]?.linkType ?? 1, nanosecond: true });
  } finally {
    reader.close();
    sink.close();
  }
}

function describeHops(steps: ProbeStep[], facts: CaptureFacts, findings: Finding[], addresses: Set<string>): Hop[] {
  void addresses;
  const used = new Set<number>();
  return steps.map((s) => {
    // The capture's connection for this step: first unused one to that address and port.
    const c = facts.conns.find((x) => x.proto === 'tcp' && !used.has(x.stream) && x.summary?.respAddr === s.host && x.summary.respPort === s.port)
      ?? facts.conns.find((x) => x.proto === 'tcp' && !used.has(x.stream) && x.syns[0] && x.summary?.respPort === s.port && !facts.conns.some((y) => y !== x && y.summary?.respAddr === s.host));
    if (c) used.add(c.stream);
    const ids = c ? findings.filter((f) => f.evidence.streams.includes(c.stream) && f.evidence.addresses.some((a) => a.startsWith(s.host))).map((f) => f.id) : [];
    if (c && !ids.length) ids.push(...findings.filter((f) => f.evidence.streams.includes(c.stream)).map((f) => f.id));
    return {
      ...s, address: s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`,
      syns: c?.syns.length ?? 0, synAcks: c?.synAcks.length ?? 0, rsts: c?.rsts.length ?? 0,
      synSpan: c && c.syns.length > 1 ? c.syns[c.syns.length - 1].time - c.syns[0].time : 0,
      stream: c?.stream ?? null, findings: [...new Set(ids)],
    };
  });
}

function hopJson(h: Hop): object {
  return {
    address: h.address, via: h.via ?? null, tcp: h.tcp, connect_ms: h.connectMs ?? null, sent: h.sent ?? null, answer: h.answer ?? null, ok: h.ok,
    next: h.next ?? [], syns: h.syns, syn_acks: h.synAcks, rsts: h.rsts, stream: h.stream, findings: h.findings, error: h.error ?? null,
  };
}

const TCP_TEXT: Record<Lang, Record<string, string>> = {
  en: { connected: 'TCP connected', refused: 'refused (RST)', timeout: 'SYN unanswered', unreachable: 'unreachable (ICMP)', reset: 'reset', error: 'failed' },
  zh: { connected: 'TCP 已连接', refused: '被拒绝（RST）', timeout: 'SYN 无响应', unreachable: '不可达（ICMP）', reset: '被重置', error: '失败' },
};

function hopsText(target: string, proto: ProbeProto, via: string | null, hops: Hop[], lang: Lang): string {
  const lines = [lang === 'zh' ? `探测 ${target}（${proto}）${via ? `，从 ${via} 发起` : ''}：` : `Probe ${target} (${proto})${via ? ` from ${via}` : ''}:`];
  const width = Math.max(...hops.map((h) => h.address.length));
  for (const h of hops) {
    const parts: string[] = [];
    if (h.via) parts.push(lang === 'zh' ? `（由 ${h.via} 重定向）` : `(redirected by ${h.via})`);
    let tcp = TCP_TEXT[lang][h.tcp];
    if (h.tcp === 'connected' && h.connectMs !== undefined) tcp += ` (${h.connectMs.toFixed(1)} ms)`;
    if (h.tcp === 'timeout' && h.syns) tcp += ` ×${h.syns}${h.synSpan ? (lang === 'zh' ? `，历时 ${h.synSpan.toFixed(1)} 秒` : ` over ${h.synSpan.toFixed(1)} s`) : ''}`;
    if (h.tcp !== 'connected' && h.error && h.tcp !== 'timeout') tcp += ` ${h.error}`;
    parts.push(tcp);
    if (h.sent) parts.push(`${h.sent}${h.answer ? ` → ${h.answer}` : ''}`);
    else if (h.answer) parts.push(h.answer);
    // The verdict goes on the hops that failed (or the last one when every hop answered).
    const verdict = h.findings.length && (!h.ok || (h === hops[hops.length - 1] && hops.every((x) => x.ok))) ? ` → ${h.findings.join(', ')}` : '';
    lines.push(`  ${h.address.padEnd(width)}  ${parts.join(' · ')}${verdict}`);
  }
  return lines.join('\n') + '\n';
}
