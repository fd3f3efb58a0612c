/**
 * The diagnosis rules: from the facts of one capture to findings. Each rule owns one stable id;
 * rules that explain a whole story run first and claim the connections they explain, so later,
 * narrower rules do not tell the same cause twice.
 *
 * Ids (stable):
 * - `auth.failed.then.blocked` — failed logins, then new connections forged-reset or dropped.
 * - `tns.redirect.unreachable` — the listener redirected the client to an address it cannot reach.
 * - `tcp.rst.forged`           — a RST whose TTL is not the server's: a device in the path sent it.
 * - `tcp.syn.unanswered`       — SYNs resent, never answered: dropped silently on the way.
 * - `icmp.unreachable`         — a router or host answered with ICMP destination unreachable.
 * - `tcp.rst.refused`          — the server itself answered RST to the SYN: nothing listens.
 * - `auth.failed`              — the server rejected the login (ORA-01017, MySQL 1045/1130 host not allowed/1129 host blocked, 28P01, WRONGPASS…).
 * - `tns.refused`              — the Oracle listener refused the connection (ERR=…).
 * - `app.closed.after.handshake` — the server closed right after the handshake, no data.
 * - `dns.failure`              — DNS answered NXDOMAIN/SERVFAIL/REFUSED, or never answered.
 * - `tls.failure`              — a TLS handshake ended with an alert.
 * - `tcp.loss`                 — many retransmissions/lost segments on established connections.
 * - `tcp.zero_window`          — a receiver advertised a zero window: the application stopped reading.
 * - `tcp.idle.reset`           — an idle connection's next packet answered by a RST (firewall/NAT idle timeout),
 *                                or a RST forged at the end of a silence; who sent it by TTL.
 * - `mtu.blackhole`            — full-size segments resent and never acknowledged while small ones pass
 *                                (ICMP frag-needed dropped on the way, or seen but ignored by the host).
 * - `path.drop`                — (two captures) packets seen at one point never reached the other, by direction
 *                                (compare.ts matching, NAT-aware); RSTs the server never sent are named.
 * - `path.nat`                 — (two captures, info) addresses/ports rewritten between the points (SNAT, DNAT).
 *
 * @example
 * const findings = diagnose(await collectFacts('case.pcap'));
 */
import { compareIndexes, rowOf, type CaptureIndex, type Comparison } from './compare.js';
import { type CaptureFacts, type ConnFacts, type IcmpEvent, type SegmentEvent } from './facts.js';
import { clockText, evidence, MAX_FRAMES, seconds, severityRank, type Finding } from './finding.js';

/** Initial TTLs in use (Linux/macOS 64, Windows 128, network appliances 255). */
const INITIAL_TTLS = [64, 128, 255];

/** Hops a packet took, from its TTL and the nearest initial TTL at or above it. */
export function hopsOf(ttl: number): { initial: number; hops: number } {
  const initial = INITIAL_TTLS.find((t) => t >= ttl) ?? 255;
  return { initial, hops: initial - ttl };
}

/** A TCP connection with its client (originator) and server (responder) named. */
interface Tcp {
  c: ConnFacts;
  client: string;
  server: string;
  port: number;
}

/** How a server-sent RST compares with the server's other packets. */
type RstVerdict = 'forged' | 'forged-no-reference' | 'genuine' | 'genuine-no-reference';

function ttlSet(facts: CaptureFacts, addr: string): number[] {
  return [...(facts.ttlByAddr.get(addr)?.keys() ?? [])].sort((a, b) => a - b);
}

function rstVerdict(facts: CaptureFacts, server: string, rst: SegmentEvent): RstVerdict {
  const ref = ttlSet(facts, server);
  if (ref.length) return ref.includes(rst.ttl) ? 'genuine' : 'forged';
  // Nothing else came from the server: a RST still carrying an initial TTL took no hop at all,
  // which a server behind a router cannot do.
  return INITIAL_TTLS.includes(rst.ttl) ? 'forged-no-reference' : 'genuine-no-reference';
}

function tcpConns(facts: CaptureFacts): Tcp[] {
  const out: Tcp[] = [];
  for (const c of facts.conns) {
    if (c.proto !== 'tcp' || !c.summary) continue;
    out.push({ c, client: c.summary.origAddr, server: c.summary.respAddr, port: c.summary.respPort });
  }
  return out;
}

/** Server-sent RSTs of a connection. */
function serverRsts(t: Tcp): SegmentEvent[] {
  return t.c.rsts.filter((r) => r.src === t.server && r.srcPort === t.port);
}

/** Connection attempt that failed at the TCP level, and how. */
type Failure = { kind: 'forged'; rsts: SegmentEvent[]; reference: boolean } | { kind: 'refused'; rsts: SegmentEvent[] } | { kind: 'unanswered'; syns: SegmentEvent[] } | null;

function failureOf(facts: CaptureFacts, t: Tcp): Failure {
  const s = t.c.summary!;
  const rsts = serverRsts(t);
  if (rsts.length) {
    const verdicts = rsts.map((r) => rstVerdict(facts, t.server, r));
    if (verdicts.some((v) => v === 'forged' || v === 'forged-no-reference')) {
      return { kind: 'forged', rsts, reference: verdicts.includes('forged') };
    }
    if (s.connState === 'REJ') return { kind: 'refused', rsts };
    return null;
  }
  if (s.connState === 'S0' && t.c.syns.length > 0 && !t.c.synAcks.length) {
    // One SYN at the very end of the capture is not yet a failure.
    const waited = facts.lastTime - t.c.syns[0].time;
    if (t.c.syns.length >= 2 || waited >= 3) return { kind: 'unanswered', syns: t.c.syns };
  }
  return null;
}

/** `10.0.7.240` or `10.0.7.240, 10.0.7.241 (2 clients)`. */
function list(xs: string[], max = 4): string {
  const u = [...new Set(xs)];
  return u.length <= max ? u.join(', ') : `${u.slice(0, max).join(', ')} … (${u.length})`;
}

function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return m;
}

/** Gaps between successive SYNs of one attempt, as text: `1.02 s, 2.05 s`. */
function gapsText(syns: SegmentEvent[]): string {
  const g: string[] = [];
  for (let i = 1; i < syns.length; i++) g.push(seconds(syns[i].time - syns[i - 1].time));
  return g.join(', ');
}

/** Application summaries the rules read (protocols' `setSummary` texts). */
const TNS_REDIRECT = /^oracle: REDIRECT to (?:\[(.+)\]|(\S+)):(\d+)$/;
const TNS_REFUSE = /^oracle: REFUSE/;
const DNS_ERROR = /^dns: (NXDOMAIN|SERVFAIL|REFUSED|NOTIMP|FORMERR)/i;
const DNS_UNANSWERED = /^dns: .*\(no answer seen\)/;
const TLS_ALERT = /^tls: (alert |encrypted alert from \w+ during the handshake)/;

/**
 * Whether a released connection can take part in any rule below: a RST, unanswered SYNs, an
 * application error, loss, a zero window, a full-size segment never acknowledged, a close right
 * after the handshake. `wiresage doctor` keeps only those (facts.ts `keepHealthy: false`); the
 * rest only add to TTL and handshake counts. Keep in step with the rules.
 */
export function mayMatter(c: ConnFacts): boolean {
  if (c.rsts.length || c.zeroWindows || c.idleReset || c.fragNeeded) return true;
  if (c.retransmissions + c.lostSegments >= 3) return true;
  if (c.big && c.big.retrans >= 2 && !c.big.acked) return true;
  if (c.syns.length && !c.synAcks.length) return true;
  const s = c.summary;
  if (s && s.handshake && s.origPayload === 0 && s.respPayload === 0 && s.closedBy === 'resp') return true;
  // A query "without answer" counts only while no later summary (its answer) replaced it.
  return c.app.some((e, i) => notableApp(e.text) && (i === c.app.length - 1 || !DNS_UNANSWERED.test(e.text)));
}

/** Whether a rule reads this application summary (login failure, TNS redirect/refuse, DNS failure, TLS alert). */
export function notableApp(text: string): boolean {
  return AUTH_PATTERNS.some((x) => x.re.test(text)) || TNS_REDIRECT.test(text) || TNS_REFUSE.test(text) || DNS_ERROR.test(text) || DNS_UNANSWERED.test(text) || TLS_ALERT.test(text);
}

const AUTH_PATTERNS: Array<{ re: RegExp; what: string }> = [
  { re: /^oracle: .*ORA-(01017|28000|01005|28001|01045)/, what: 'Oracle' },
  { re: /^mysql: .*failed (1045|1044|1698|1129|1130)/, what: 'MySQL' },
  { re: /^postgres: .*failed (28P01|28000)/, what: 'PostgreSQL' },
  { re: /^redis: .*(WRONGPASS|NOAUTH)/, what: 'Redis' },
];

interface AuthFailure {
  t: Tcp;
  frame: number;
  time: number;
  text: string;
  what: string;
}

function authFailures(conns: Tcp[]): AuthFailure[] {
  const out: AuthFailure[] = [];
  for (const t of conns) {
    for (const e of t.c.app) {
      const p = AUTH_PATTERNS.find((x) => x.re.test(e.text));
      if (p) {
        out.push({ t, frame: e.frame, time: e.time, text: e.text.replace(/^[a-z]+: /, ''), what: p.what });
        break;
      }
    }
  }
  return out;
}

/** Runs every rule; findings ordered by severity, then time. */
export function diagnose(facts: CaptureFacts): Finding[] {
  const findings: Finding[] = [];
  const conns = tcpConns(facts);
  const claimed = new Set<number>();
  const failures = new Map<number, Failure>();
  for (const t of conns) failures.set(t.c.stream, failureOf(facts, t));
  const auth = authFailures(conns);

  findings.push(...authThenBlocked(facts, conns, auth, failures, claimed));
  findings.push(...tnsRedirectUnreachable(facts, conns, failures, claimed));
  findings.push(...idleResets(facts, conns, claimed));
  findings.push(...mtuBlackhole(conns, claimed));
  findings.push(...forgedRsts(facts, conns, failures, claimed));
  findings.push(...icmpUnreachable(facts, claimed));
  findings.push(...synUnanswered(conns, failures, claimed));
  findings.push(...refused(facts, conns, failures, claimed));
  findings.push(...authFailed(auth, claimed));
  findings.push(...tnsRefused(conns));
  findings.push(...closedAfterHandshake(conns, claimed));
  findings.push(...dnsFailures(facts));
  findings.push(...tlsFailures(conns));
  findings.push(...loss(conns.filter((t) => !claimed.has(t.c.stream))));
  findings.push(...zeroWindow(conns));
  return sortFindings(findings);
}

function authThenBlocked(facts: CaptureFacts, conns: Tcp[], auth: AuthFailure[], failures: Map<number, Failure>, claimed: Set<number>): Finding[] {
  const out: Finding[] = [];
  for (const [key, fails] of groupBy(auth, (a) => `${a.t.client}|${a.t.server}|${a.t.port}`)) {
    const [client, server, portText] = key.split('|');
    const port = Number(portText);
    const firstFail = fails[0];
    const blocked = conns.filter((t) => t.client === client && t.server === server && t.port === port
      && t.c.firstTime > firstFail.time && failures.get(t.c.stream) && failures.get(t.c.stream)!.kind !== 'refused');
    if (!blocked.length) continue;
    const firstBlocked = blocked[0];
    const kinds = new Set(blocked.map((t) => failures.get(t.c.stream)!.kind));
    const forged = kinds.has('forged');
    const okBefore = firstBlocked.c.handshakesBefore;
    const rsts = blocked.flatMap((t) => serverRsts(t));
    const rstTtls = [...new Set(rsts.map((r) => r.ttl))];
    const ref = ttlSet(facts, server);
    for (const t of [...blocked, ...fails.map((f) => f.t)]) claimed.add(t.c.stream);
    const how = forged ? `reset (RST with TTL ${rstTtls.join('/')}, while the server's own packets arrive with TTL ${ref.join('/') || 'never seen'})` : 'left unanswered (SYNs resent, no reply)';
    const howZh = forged ? `被重置（RST 的 TTL 为 ${rstTtls.join('/')}，而服务器自己的报文 TTL 为 ${ref.join('/') || '从未出现'}）` : '无响应（SYN 重传，没有任何回复）';
    out.push({
      id: 'auth.failed.then.blocked',
      severity: 'error',
      text: {
        en: {
          title: `${fails.length} failed ${firstFail.what} logins from ${client} to ${server}:${port}, then from ${clockText(firstBlocked.c.firstTime)} on its connections are ${forged ? 'reset by a device in the path' : 'dropped'}`,
          explanation: `${client} logged in to ${server}:${port} ${fails.length} time(s) with rejected credentials (${firstFail.text}), the first at ${clockText(firstFail.time)}. `
            + `${okBefore} connection(s) before that completed the TCP handshake normally; from ${clockText(firstBlocked.c.firstTime)} on, ${blocked.length} new connection(s) were ${how}. `
            + `A server does not change its TTL, so the resets come from something between the client and the server — a firewall, IPS or database security rule that blocks a client after repeated failed logins. `
            + `The network block is a consequence; the cause is the wrong user name or password.`,
          nextSteps: [
            `Fix the credentials the application at ${client} uses for ${server}:${port} (check the connection pool / datasource configuration).`,
            'Ask the firewall/IPS/security team for a rule that blocks sources after failed logins (rate limit, brute-force protection) and have the block on ' + client + ' lifted.',
            `To confirm, capture on ${server} too: the blocked SYNs will be missing there.`,
          ],
        },
        zh: {
          title: `${client} 登录 ${server}:${port} 失败 ${fails.length} 次（${firstFail.what}），从 ${clockText(firstBlocked.c.firstTime)} 起它的连接被${forged ? '路径上的设备重置' : '丢弃'}`,
          explanation: `${client} 以错误的凭据登录 ${server}:${port} 共 ${fails.length} 次（${firstFail.text}），第一次在 ${clockText(firstFail.time)}。`
            + `在此之前有 ${okBefore} 个连接正常完成了 TCP 三次握手；从 ${clockText(firstBlocked.c.firstTime)} 起，${blocked.length} 个新连接${howZh}。`
            + `服务器不会改变自己的 TTL，所以这些重置来自客户端与服务器之间的设备——防火墙、IPS 或数据库安全策略在多次登录失败后封禁了该客户端。`
            + `网络封禁只是结果，根因是用户名或密码错误。`,
          nextSteps: [
            `修正 ${client} 上应用连接 ${server}:${port} 所用的用户名/密码（检查连接池/数据源配置）。`,
            `请防火墙/IPS/安全团队确认是否有"登录失败后封禁"的策略（限速、防暴力破解），并解除对 ${client} 的封禁。`,
            `如需确认，在 ${server} 上同时抓包：被封禁的 SYN 在那里看不到。`,
          ],
        },
      },
      evidence: evidence(
        [...fails.map((f) => f.frame), ...blocked.map((t) => t.c.firstFrame), ...rsts.map((r) => r.frame)],
        [...fails.map((f) => f.t.c.stream), ...blocked.map((t) => t.c.stream)],
        [client, `${server}:${port}`],
        [...fails.map((f) => f.time), ...blocked.map((t) => t.c.lastTime)],
        { failed_logins: fails.length, ok_connections_before: okBefore, blocked_connections: blocked.length, forged_rsts: forged ? rsts.length : 0 },
      ),
    });
  }
  return out;
}

/** A listener's redirect target. */
interface Target {
  host: string;
  port: number;
}

/**
 * Every address a TNS descriptor names, in order and once each: the `(ADDRESS=…(HOST=…)(PORT=…))`
 * entries of an ADDRESS_LIST, of several DESCRIPTIONs in a DESCRIPTION_LIST, or a bare ADDRESS.
 *
 * @example
 * descriptorAddresses('(DESCRIPTION=(ADDRESS_LIST=(ADDRESS=(PROTOCOL=TCP)(HOST=10.0.0.11)(PORT=1521))(ADDRESS=(PROTOCOL=TCP)(HOST=10.0.0.12)(PORT=1521))))')
 * // → [{ host: '10.0.0.11', port: 1521 }, { host: '10.0.0.12', port: 1521 }]
 */
export function descriptorAddresses(text: string): Target[] {
  const out: Target[] = [];
  const seen = new Set<string>();
  const opening = /\(\s*ADDRESS\s*=/gi;
  for (let m = opening.exec(text); m; m = opening.exec(text)) {
    // The entry runs to its balanced closing parenthesis.
    let depth = 0;
    let end = m.index;
    for (; end < text.length; end++) {
      if (text[end] === '(') depth++;
      else if (text[end] === ')' && --depth === 0) break;
    }
    const entry = text.slice(m.index, end + 1);
    const host = /\(\s*HOST\s*=\s*([^()]*?)\s*\)/i.exec(entry)?.[1];
    const port = /\(\s*PORT\s*=\s*(\d{1,5})\s*\)/i.exec(entry)?.[1];
    if (!host || port === undefined || Number(port) > 65535) continue;
    const key = `${host}|${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ host: host.replace(/^\[|\]$/g, ''), port: Number(port) });
  }
  return out;
}

function endpointText(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function tnsRedirectUnreachable(facts: CaptureFacts, conns: Tcp[], failures: Map<number, Failure>, claimed: Set<number>): Finding[] {
  const out: Finding[] = [];
  const redirects: Array<{ t: Tcp; targets: Target[]; frame: number; time: number }> = [];
  for (const t of conns) {
    for (const e of t.c.app) {
      const m = TNS_REDIRECT.exec(e.text);
      if (!m) continue;
      // The summary names the first address; the redirect data may name more (RAC nodes).
      const listed = e.redirect !== undefined ? descriptorAddresses(e.redirect) : [];
      redirects.push({ t, targets: listed.length > 1 ? listed : [{ host: m[1] ?? m[2], port: Number(m[3]) }], frame: e.frame, time: e.time });
    }
  }
  // Connections an ICMP destination-unreachable was about.
  const icmpStreams = new Map<number, IcmpEvent>();
  for (const e of facts.icmp) {
    if (e.stream !== null && ((e.family === 4 && e.type === 3 && e.code !== 4) || (e.family === 6 && e.type === 1)) && !icmpStreams.has(e.stream)) icmpStreams.set(e.stream, e);
  }
  const key = (r: (typeof redirects)[number]) => `${r.t.client}|${r.t.server}|${r.t.port}|${r.targets.map((x) => `${x.host}|${x.port}`).sort().join(',')}`;
  for (const rs of groupBy(redirects, key).values()) {
    const { client, server: vip, port: vipPort } = rs[0].t;
    const first = rs[0];
    const targets: Target[] = [];
    for (const r of rs) for (const x of r.targets) if (!targets.some((y) => y.host === x.host && y.port === x.port)) targets.push(x);
    const per = targets.map((x) => {
      const attempts = conns.filter((t) => t.client === client && t.server === x.host && t.port === x.port && t.c.firstTime >= first.time - 0.001);
      const failed = attempts.filter((t) => failures.get(t.c.stream) || icmpStreams.has(t.c.stream));
      const dropped = failed.filter((t) => failures.get(t.c.stream)?.kind === 'unanswered');
      const icmp = failed.filter((t) => !failures.get(t.c.stream));
      const reset = failed.filter((t) => failures.get(t.c.stream) && failures.get(t.c.stream)!.kind !== 'unanswered');
      const worked = attempts.filter((t) => !failed.includes(t) && t.c.synAcks.length > 0);
      return { ...x, attempts, failed, dropped, reset, icmp, worked };
    });
    if (!per.some((x) => x.failed.length)) continue;
    if (targets.length === 1) out.push(oneTargetUnreachable(rs, per[0], claimed));
    else out.push(someTargetsUnreachable(rs, per, claimed));
  }
  return out;
}

interface TargetOutcome extends Target {
  attempts: Tcp[];
  failed: Tcp[];
  dropped: Tcp[];
  reset: Tcp[];
  icmp: Tcp[];
  worked: Tcp[];
}

type RedirectSeen = { t: Tcp; frame: number; time: number };

/** How the attempts to one target failed, in words. */
function failureText(x: TargetOutcome, icmpOf: (t: Tcp) => string): { en: string; zh: string } {
  const where = endpointText(x.host, x.port);
  const en: string[] = [];
  const zh: string[] = [];
  if (x.dropped.length) {
    en.push(`${x.dropped.length} connection attempt(s) to ${where} got no answer at all (SYN resent ${list(x.dropped.map((t) => String(t.c.syns.length - 1)))} time(s), gaps ${x.dropped.slice(0, 3).map((t) => gapsText(t.c.syns)).join('; ')})`);
    zh.push(`到 ${where} 的 ${x.dropped.length} 次连接没有任何回应（SYN 重传 ${list(x.dropped.map((t) => String(t.c.syns.length - 1)))} 次）`);
  }
  if (x.reset.length) {
    en.push(`${x.reset.length} attempt(s) to ${where} were reset`);
    zh.push(`到 ${where} 的 ${x.reset.length} 次连接被重置`);
  }
  if (x.icmp.length) {
    en.push(`${x.icmp.length} attempt(s) to ${where} were answered by ICMP ${icmpOf(x.icmp[0])}`);
    zh.push(`到 ${where} 的 ${x.icmp.length} 次连接收到 ICMP ${icmpOf(x.icmp[0])}`);
  }
  return { en: en.join('; '), zh: zh.join('；') };
}

/** The listener named one address and the client could not reach it (seed case B). */
function oneTargetUnreachable(rs: RedirectSeen[], x: TargetOutcome, claimed: Set<number>): Finding {
  const { client, server: vip } = rs[0].t;
  const vipPortText = String(rs[0].t.port);
  const { host, port, failed, dropped, reset } = x;
  const first = rs[0];
  const syns = failed.flatMap((t) => t.c.syns);
  for (const t of [...failed, ...rs.map((r) => r.t)]) claimed.add(t.c.stream);
  const resends = dropped.map((t) => t.c.syns.length - 1);
  const how = dropped.length ? `${dropped.length} connection attempt(s) to ${host}:${port} got no answer at all (SYN resent ${list(resends.map(String))} time(s), gaps ${dropped.slice(0, 3).map((t) => gapsText(t.c.syns)).join('; ')})` : '';
  const howReset = reset.length ? `${reset.length} attempt(s) to ${host}:${port} were reset` : '';
  const howIcmp = x.icmp.length ? `${x.icmp.length} attempt(s) to ${host}:${port} were answered by ICMP destination unreachable` : '';
  return {
    id: 'tns.redirect.unreachable',
    severity: 'error',
    text: {
      en: {
        title: `Oracle listener ${vip}:${vipPortText} redirects ${client} to ${host}:${port}, which it cannot reach`,
        explanation: `The TCP handshake and TNS CONNECT to ${vip}:${vipPortText} work (so "telnet to port ${vipPortText}" succeeds), but the listener answers with a REDIRECT to ${host}:${port} (${rs.length} time(s), first at ${clockText(first.time)}). `
          + `${[how, howReset, howIcmp].filter(Boolean).join('; ')}. `
          + `This is how Oracle RAC works: the client connects to a SCAN or virtual IP, and the listener hands it over to the instance on a node's own address (VIP or node IP). `
          + `A firewall or cloud security group that allows only ${vip} silently drops the traffic to ${host}.`,
        nextSteps: [
          `Allow ${client} → ${host}:${port} (and every other RAC node/VIP address) in the firewall or security group, not only ${vip}.`,
          `Check the RAC's LOCAL_LISTENER/REMOTE_LISTENER: the address the listener redirects to must be reachable from clients.`,
          `Test it directly from ${client}: connect to ${host}:${port}.`,
        ],
      },
      zh: {
        title: `Oracle 监听 ${vip}:${vipPortText} 把 ${client} 重定向到 ${host}:${port}，而后者不可达`,
        explanation: `到 ${vip}:${vipPortText} 的 TCP 握手和 TNS CONNECT 都正常（所以 telnet ${vipPortText} 端口是通的），但监听回复 REDIRECT，要求改连 ${host}:${port}（共 ${rs.length} 次，首次在 ${clockText(first.time)}）。`
          + `之后到 ${host}:${port} 的 ${failed.length} 次连接${dropped.length ? `没有任何回应（SYN 重传 ${list(resends.map(String))} 次）` : reset.length ? '被重置' : '收到 ICMP 目的不可达'}。`
          + `这是 Oracle RAC 的工作方式：客户端先连 SCAN 或虚拟 IP，监听再把它转交给某个节点自己的地址（VIP 或节点 IP）。`
          + `防火墙或云安全组只放行了 ${vip}，发往 ${host} 的报文被静默丢弃。`,
        nextSteps: [
          `在防火墙或安全组中放行 ${client} → ${host}:${port}（以及 RAC 其他所有节点/VIP 地址），不能只放行 ${vip}。`,
          `检查 RAC 的 LOCAL_LISTENER/REMOTE_LISTENER：监听重定向的地址必须对客户端可达。`,
          `在 ${client} 上直接测试连接 ${host}:${port}。`,
        ],
      },
    },
    evidence: evidence(
      [...rs.map((r) => r.frame), ...syns.map((s) => s.frame), ...reset.flatMap((t) => serverRsts(t).map((r) => r.frame))],
      [...rs.map((r) => r.t.c.stream), ...failed.map((t) => t.c.stream)],
      [client, `${vip}:${vipPortText}`, `${host}:${port}`],
      [...rs.map((r) => r.time), ...failed.map((t) => t.c.lastTime)],
      { redirects: rs.length, failed_attempts: failed.length, unanswered_attempts: dropped.length, reset_attempts: reset.length, syns: syns.length },
    ),
  };
}

/**
 * The listener named several addresses (an ADDRESS_LIST of RAC node VIPs, a DESCRIPTION_LIST):
 * which of them the client could not reach and which worked — typically a firewall rule that
 * lists some nodes and forgets one.
 */
function someTargetsUnreachable(rs: RedirectSeen[], per: TargetOutcome[], claimed: Set<number>): Finding {
  const { client, server: vip } = rs[0].t;
  const vipText = `${vip}:${rs[0].t.port}`;
  const first = rs[0];
  const named = per.map((x) => endpointText(x.host, x.port));
  const bad = per.filter((x) => x.failed.length);
  const good = per.filter((x) => !x.failed.length && x.worked.length);
  const untried = per.filter((x) => !x.attempts.length);
  const badText = bad.map((x) => endpointText(x.host, x.port));
  const goodText = good.map((x) => endpointText(x.host, x.port));
  const untriedText = untried.map((x) => endpointText(x.host, x.port));
  const failed = bad.flatMap((x) => x.failed);
  const syns = failed.flatMap((t) => t.c.syns);
  const reset = bad.flatMap((x) => x.reset);
  for (const t of [...failed, ...rs.map((r) => r.t)]) claimed.add(t.c.stream);
  const icmpOf = () => 'destination unreachable';
  const how = bad.map((x) => failureText(x, icmpOf));
  const worked = (x: TargetOutcome) => `${x.worked.length} connection(s) to ${endpointText(x.host, x.port)} were answered`;
  const workedZh = (x: TargetOutcome) => `到 ${endpointText(x.host, x.port)} 的 ${x.worked.length} 次连接正常`;
  return {
    id: 'tns.redirect.unreachable',
    severity: 'error',
    text: {
      en: {
        title: `Oracle listener ${vipText} redirects ${client} to ${named.join(', ')}: ${badText.join(', ')} cannot be reached${goodText.length ? ` (${goodText.join(', ')} can)` : ''}`,
        explanation: `The TCP handshake and TNS CONNECT to ${vipText} work, but the listener answers with a REDIRECT naming ${per.length} addresses (${named.join(', ')}; ${rs.length} time(s), first at ${clockText(first.time)}). `
          + `${how.map((h) => h.en).join('; ')}. `
          + (good.length ? `${good.map(worked).join('; ')}: the client and the listener are fine, only the way to ${badText.join(', ')} is closed. ` : '')
          + (untried.length ? `${untriedText.join(', ')} ${untried.length === 1 ? 'was' : 'were'} not tried. ` : '')
          + `Oracle RAC hands clients over to the node addresses (VIPs or node IPs); a firewall or security group that allows some of them and not ${badText.join(', ')} makes every connection sent there fail.`,
        nextSteps: [
          `Allow ${client} → ${badText.join(', ')} in the firewall or security group, as ${goodText.length ? goodText.join(', ') : vipText} already ${goodText.length > 1 ? 'are' : 'is'}.`,
          `Check the RAC's LOCAL_LISTENER/REMOTE_LISTENER: every address the listener redirects to must be reachable from clients.`,
          `Test each address directly from ${client}: ${named.join(', ')}.`,
        ],
      },
      zh: {
        title: `Oracle 监听 ${vipText} 把 ${client} 重定向到 ${named.join('、')}：${badText.join('、')} 不可达${goodText.length ? `（${goodText.join('、')} 可达）` : ''}`,
        explanation: `到 ${vipText} 的 TCP 握手和 TNS CONNECT 都正常，但监听回复的 REDIRECT 列出了 ${per.length} 个地址（${named.join('、')}；共 ${rs.length} 次，首次在 ${clockText(first.time)}）。`
          + `${how.map((h) => h.zh).join('；')}。`
          + (good.length ? `${good.map(workedZh).join('；')}：客户端和监听都没问题，只是到 ${badText.join('、')} 的路不通。` : '')
          + (untried.length ? `${untriedText.join('、')} 没有被尝试。` : '')
          + `Oracle RAC 会把客户端转交给各节点地址（VIP 或节点 IP）；防火墙或安全组只放行了其中一部分，发往 ${badText.join('、')} 的连接都会失败。`,
        nextSteps: [
          `在防火墙或安全组中放行 ${client} → ${badText.join('、')}，与 ${goodText.length ? goodText.join('、') : vipText} 一样。`,
          `检查 RAC 的 LOCAL_LISTENER/REMOTE_LISTENER：监听重定向的每个地址都必须对客户端可达。`,
          `在 ${client} 上逐个测试：${named.join('、')}。`,
        ],
      },
    },
    evidence: evidence(
      [...rs.map((r) => r.frame), ...syns.map((s) => s.frame), ...reset.flatMap((t) => serverRsts(t).map((r) => r.frame))],
      [...rs.map((r) => r.t.c.stream), ...failed.map((t) => t.c.stream), ...good.flatMap((x) => x.worked.map((t) => t.c.stream))],
      [client, vipText, ...named],
      [...rs.map((r) => r.time), ...failed.map((t) => t.c.lastTime)],
      {
        redirects: rs.length, failed_attempts: failed.length, unanswered_attempts: bad.reduce((n, x) => n + x.dropped.length, 0), reset_attempts: reset.length,
        icmp_attempts: bad.reduce((n, x) => n + x.icmp.length, 0), syns: syns.length,
        targets: per.length, unreachable_targets: bad.length, reachable_targets: good.length, untried_targets: untried.length,
      },
    ),
  };
}

function forgedRsts(facts: CaptureFacts, conns: Tcp[], failures: Map<number, Failure>, claimed: Set<number>): Finding[] {
  const out: Finding[] = [];
  const forged = conns.filter((t) => !claimed.has(t.c.stream) && failures.get(t.c.stream)?.kind === 'forged');
  // Also RSTs forged into established connections (injection), which failureOf reports too.
  for (const [key, group] of groupBy(forged, (t) => `${t.server}|${t.port}`)) {
    const [server, portText] = key.split('|');
    const rsts = group.flatMap((t) => serverRsts(t));
    const ref = ttlSet(facts, server);
    const rstTtls = [...new Set(rsts.map((r) => r.ttl))].sort((a, b) => a - b);
    const withRef = ref.length > 0;
    for (const t of group) claimed.add(t.c.stream);
    const refHops = ref.map((x) => `${x} (${hopsOf(x).hops} hop(s) from an initial ${hopsOf(x).initial})`).join(', ');
    const rstHops = rstTtls.map((x) => `${x} (${hopsOf(x).hops} hop(s) from an initial ${hopsOf(x).initial})`).join(', ');
    const clients = group.map((t) => t.client);
    const synOnly = group.filter((t) => !t.c.synAcks.length).length;
    out.push({
      id: 'tcp.rst.forged',
      severity: 'error',
      text: {
        en: {
          title: `Connections to ${server}:${portText} are reset by a device in the path, not by the server (${group.length} connection(s))`,
          explanation: withRef
            ? `The RSTs that appear to come from ${server} arrive with TTL ${rstHops}, but every other packet from ${server} arrives with TTL ${refHops}. A host sends all its packets with the same initial TTL and they take the same route, so a different TTL means another device — a firewall, IPS or load balancer between ${list(clients)} and ${server} — forged these resets in the server's name. `
              + `${synOnly} of the ${group.length} reset connection(s) never got a SYN-ACK.`
            : `${server} never sent anything in this capture except RSTs, and these arrive with TTL ${rstHops}: a packet that crossed no router. A server behind at least one router cannot do that, so a device on the way (firewall/IPS/security appliance) most likely answered for it.`,
          nextSteps: [
            `Capture on ${server} at the same time: if the SYNs from ${list(clients)} never arrive there, the reset comes from the path.`,
            `Look for firewalls/IPS/security groups between ${list(clients)} and ${server}:${portText} with a reject or rate-limit rule (devices that "reject with tcp reset").`,
            'Check whether the block started after failed logins or a burst of connections (rate limit, brute-force protection).',
          ],
        },
        zh: {
          title: `到 ${server}:${portText} 的连接被路径上的设备重置，而不是服务器（${group.length} 个连接）`,
          explanation: withRef
            ? `看似来自 ${server} 的 RST 的 TTL 为 ${rstTtls.join('/')}，而 ${server} 的其他所有报文 TTL 为 ${ref.join('/')}。同一主机发出的报文初始 TTL 相同、路径相同，TTL 不同说明是另一台设备——${list(clients)} 与 ${server} 之间的防火墙、IPS 或负载均衡——冒充服务器发出了这些重置。`
              + `${group.length} 个被重置的连接中有 ${synOnly} 个从未收到 SYN-ACK。`
            : `本次抓包中 ${server} 除了 RST 之外没有发出过任何报文，而这些 RST 的 TTL 为 ${rstTtls.join('/')}，说明没有经过任何路由器。位于路由器之后的服务器不可能如此，很可能是路径上的设备（防火墙/IPS/安全设备）代为回复。`,
          nextSteps: [
            `同时在 ${server} 上抓包：如果那里看不到来自 ${list(clients)} 的 SYN，重置就来自路径。`,
            `检查 ${list(clients)} 与 ${server}:${portText} 之间的防火墙/IPS/安全组是否有拒绝或限速规则（"reject with tcp reset"）。`,
            '检查封禁是否在多次登录失败或连接突增之后开始（限速、防暴力破解）。',
          ],
        },
      },
      evidence: evidence(
        rsts.map((r) => r.frame),
        group.map((t) => t.c.stream),
        [...new Set(clients), `${server}:${portText}`],
        group.flatMap((t) => [t.c.firstTime, t.c.lastTime]),
        { connections: group.length, forged_rsts: rsts.length, rst_ttl: rstTtls[0] ?? 0, server_ttl: ref[0] ?? 0, connections_without_synack: synOnly },
      ),
    });
  }
  return out;
}

function synUnanswered(conns: Tcp[], failures: Map<number, Failure>, claimed: Set<number>): Finding[] {
  const out: Finding[] = [];
  const dropped = conns.filter((t) => !claimed.has(t.c.stream) && failures.get(t.c.stream)?.kind === 'unanswered');
  for (const [key, group] of groupBy(dropped, (t) => `${t.server}|${t.port}`)) {
    const [server, port] = key.split('|');
    const syns = group.flatMap((t) => t.c.syns);
    const resends = group.map((t) => t.c.syns.length - 1);
    const clients = group.map((t) => t.client);
    const gaps = group.slice(0, 3).map((t) => gapsText(t.c.syns) || 'none').join('; ');
    for (const t of group) claimed.add(t.c.stream);
    out.push({
      id: 'tcp.syn.unanswered',
      severity: 'error',
      text: {
        en: {
          title: `${group.length} connection attempt(s) to ${server}:${port} got no answer at all (SYNs dropped silently)`,
          explanation: `${list(clients)} sent ${syns.length} SYN(s) to ${server}:${port} in ${group.length} attempt(s); each attempt resent its SYN (same sequence number) ${list(resends.map(String))} time(s) (gaps ${gaps}) and never got a SYN-ACK, a RST or an ICMP error. `
            + `A closed port answers with a RST and an unreachable network usually with ICMP; total silence means the packets are dropped on the way or at the server: a security group, firewall "drop" rule, or a missing route back.`,
          nextSteps: [
            `Check security groups / firewall rules between ${list(clients)} and ${server}:${port} (inbound on the server side and outbound on the client side).`,
            `Capture on ${server}: if the SYNs arrive there and no SYN-ACK leaves, look at the host firewall; if they do not arrive, the path drops them.`,
            `Check routing from ${server} back to ${list(clients)} (asymmetric routes drop the SYN-ACK).`,
          ],
        },
        zh: {
          title: `到 ${server}:${port} 的 ${group.length} 次连接尝试没有任何回应（SYN 被静默丢弃）`,
          explanation: `${list(clients)} 在 ${group.length} 次尝试中向 ${server}:${port} 发出 ${syns.length} 个 SYN；每次尝试都以相同序号重传 SYN ${list(resends.map(String))} 次（间隔 ${gaps}），始终没有收到 SYN-ACK、RST 或 ICMP 错误。`
            + `端口关闭会回 RST，网络不可达通常会回 ICMP；完全没有回应说明报文在路上或服务器上被丢弃：安全组、防火墙的 drop 规则，或者缺少回程路由。`,
          nextSteps: [
            `检查 ${list(clients)} 与 ${server}:${port} 之间的安全组/防火墙规则（服务器入方向和客户端出方向）。`,
            `在 ${server} 上抓包：如果 SYN 到达但没有 SYN-ACK 发出，查主机防火墙；如果 SYN 没有到达，是路径丢弃。`,
            `检查 ${server} 回到 ${list(clients)} 的路由（非对称路由会丢 SYN-ACK）。`,
          ],
        },
      },
      evidence: evidence(syns.map((s) => s.frame), group.map((t) => t.c.stream), [...new Set(clients), `${server}:${port}`], syns.map((s) => s.time),
        { attempts: group.length, syns: syns.length, max_resends: resends.reduce((m, x) => Math.max(m, x), 0) }),
    });
  }
  return out;
}

function refused(facts: CaptureFacts, conns: Tcp[], failures: Map<number, Failure>, claimed: Set<number>): Finding[] {
  const out: Finding[] = [];
  const rej = conns.filter((t) => !claimed.has(t.c.stream) && failures.get(t.c.stream)?.kind === 'refused');
  for (const [key, group] of groupBy(rej, (t) => `${t.server}|${t.port}`)) {
    const [server, port] = key.split('|');
    const rsts = group.flatMap((t) => serverRsts(t));
    const ttls = [...new Set(rsts.map((r) => r.ttl))];
    const ref = ttlSet(facts, server);
    const clients = group.map((t) => t.client);
    for (const t of group) claimed.add(t.c.stream);
    const ttlWhy = ref.length
      ? `The RSTs carry TTL ${ttls.join('/')}, the same as ${server}'s other packets, so the server itself sent them.`
      : `No other packet from ${server} is in this capture to compare TTLs with; the RSTs' TTL ${ttls.join('/')} (${hopsOf(ttls[0]).hops} hop(s) from ${hopsOf(ttls[0]).initial}) fits a server behind a router, so it most likely sent them itself.`;
    const ttlWhyZh = ref.length
      ? `RST 的 TTL 为 ${ttls.join('/')}，与 ${server} 的其他报文相同，所以是服务器自己发出的。`
      : `本次抓包中没有 ${server} 的其他报文可用于比较 TTL；RST 的 TTL ${ttls.join('/')} 符合经过路由器到达的服务器报文，很可能是服务器自己发出的。`;
    out.push({
      id: 'tcp.rst.refused',
      severity: 'warning',
      text: {
        en: {
          title: `${server}:${port} refused ${group.length} connection(s): nothing is listening there`,
          explanation: `Each SYN from ${list(clients)} to ${server}:${port} was answered right away with a RST. ${ttlWhy} The host is reachable, but no process accepts connections on port ${port} (service down, wrong port, or bound to another address).`,
          nextSteps: [
            `On ${server}: check that the service runs and listens on ${port} on this address (ss -ltnp).`,
            `Check the port in the client's configuration.`,
          ],
        },
        zh: {
          title: `${server}:${port} 拒绝了 ${group.length} 个连接：该端口没有程序监听`,
          explanation: `${list(clients)} 发往 ${server}:${port} 的每个 SYN 都立即收到 RST。${ttlWhyZh}主机可达，但端口 ${port} 上没有进程接受连接（服务未启动、端口错误，或绑定在其他地址上）。`,
          nextSteps: [`在 ${server} 上确认服务已启动并在该地址的 ${port} 端口监听（ss -ltnp）。`, '检查客户端配置中的端口。'],
        },
      },
      evidence: evidence(rsts.map((r) => r.frame), group.map((t) => t.c.stream), [...new Set(clients), `${server}:${port}`], group.map((t) => t.c.firstTime),
        { connections: group.length, rsts: rsts.length, rst_ttl: ttls[0] ?? 0 }),
    });
  }
  return out;
}

function authFailed(auth: AuthFailure[], claimed: Set<number>): Finding[] {
  const out: Finding[] = [];
  for (const [, fails] of groupBy(auth.filter((a) => !claimed.has(a.t.c.stream)), (a) => `${a.t.client}|${a.t.server}|${a.t.port}|${a.what}`)) {
    const f = fails[0];
    const server = `${f.t.server}:${f.t.port}`;
    for (const a of fails) claimed.add(a.t.c.stream);
    out.push({
      id: 'auth.failed',
      severity: 'warning',
      text: {
        en: {
          title: `${fails.length} failed ${f.what} login(s) from ${f.t.client} to ${server}`,
          explanation: `The network works: the connection is made and the server answers, but it rejects the login: "${f.text}" (${fails.length} time(s), from ${clockText(f.time)} to ${clockText(fails[fails.length - 1].time)}). Repeated failures can lock the account or make a firewall/IPS block the client.`,
          nextSteps: [`Check the user name and password the application at ${f.t.client} uses for ${server}.`, 'Check whether the account is locked or expired on the server.'],
        },
        zh: {
          title: `${f.t.client} 登录 ${server} 失败 ${fails.length} 次（${f.what}）`,
          explanation: `网络是通的：连接已建立，服务器也有回应，但拒绝了登录："${f.text}"（共 ${fails.length} 次，${clockText(f.time)} 至 ${clockText(fails[fails.length - 1].time)}）。反复失败可能导致账号被锁，或被防火墙/IPS 封禁。`,
          nextSteps: [`检查 ${f.t.client} 上应用连接 ${server} 使用的用户名和密码。`, '检查服务器上该账号是否被锁定或过期。'],
        },
      },
      evidence: evidence(fails.map((a) => a.frame), fails.map((a) => a.t.c.stream), [f.t.client, server], fails.map((a) => a.time), { failed_logins: fails.length }),
    });
  }
  return out;
}

function tnsRefused(conns: Tcp[]): Finding[] {
  const out: Finding[] = [];
  const refusals = conns.flatMap((t) => t.c.app.filter((e) => TNS_REFUSE.test(e.text)).map((e) => ({ t, e })));
  for (const [, group] of groupBy(refusals, (r) => `${r.t.server}|${r.t.port}|${r.e.text}`)) {
    const { t, e } = group[0];
    const what = e.text.replace(/^oracle: /, '');
    out.push({
      id: 'tns.refused',
      severity: 'warning',
      text: {
        en: {
          title: `Oracle listener ${t.server}:${t.port} refused ${group.length} connection(s): ${what}`,
          explanation: `The network and the listener work, but the listener refuses the CONNECT: ${what}. ERR=12514 means the service name is not registered with this listener; 12505 an unknown SID; 12516/12519/12520 no handler available (instance down or restricted, or processes exhausted).`,
          nextSteps: ['Check the SERVICE_NAME/SID in the client connect string against `lsnrctl services` on the server.', 'Check that the database instance is up and registered with the listener.'],
        },
        zh: {
          title: `Oracle 监听 ${t.server}:${t.port} 拒绝了 ${group.length} 个连接：${what}`,
          explanation: `网络和监听都正常，但监听拒绝了 CONNECT：${what}。ERR=12514 表示该服务名未在此监听注册；12505 表示 SID 未知；12516/12519/12520 表示没有可用的处理程序（实例未启动、受限或进程数耗尽）。`,
          nextSteps: ['将客户端连接串中的 SERVICE_NAME/SID 与服务器上 `lsnrctl services` 的输出核对。', '检查数据库实例是否已启动并已注册到监听。'],
        },
      },
      evidence: evidence(group.map((r) => r.e.frame), group.map((r) => r.t.c.stream), [t.client, `${t.server}:${t.port}`], group.map((r) => r.e.time), { refusals: group.length }),
    });
  }
  return out;
}

function icmpUnreachable(facts: CaptureFacts, claimed: Set<number>): Finding[] {
  const out: Finding[] = [];
  const unreachable = facts.icmp.filter((e) => (e.family === 4 && e.type === 3 && e.code !== 4) || (e.family === 6 && e.type === 1));
  const codes4: Record<number, string> = { 0: 'network unreachable', 1: 'host unreachable', 2: 'protocol unreachable', 3: 'port unreachable', 9: 'network administratively prohibited', 10: 'host administratively prohibited', 13: 'communication administratively prohibited' };
  const codes6: Record<number, string> = { 0: 'no route to destination', 1: 'communication administratively prohibited', 3: 'address unreachable', 4: 'port unreachable', 6: 'reject route' };
  for (const [, group] of groupBy(unreachable, (e) => `${e.from}|${e.quotedDst}|${e.quotedDstPort}|${e.code}`)) {
    const e = group[0];
    const what = (e.family === 4 ? codes4 : codes6)[e.code] ?? `code ${e.code}`;
    const admin = /administratively|reject route/.test(what);
    const byTarget = e.from === e.quotedDst;
    for (const x of group) if (x.stream !== null) claimed.add(x.stream);
    out.push({
      id: 'icmp.unreachable',
      severity: 'error',
      text: {
        en: {
          title: `${e.from} answers "${what}" for ${e.quotedProto} to ${e.quotedDst}:${e.quotedDstPort} (${group.length} time(s))`,
          explanation: `${e.quotedSrc}'s packets to ${e.quotedDst}:${e.quotedDstPort} were answered with ICMP destination unreachable (${what}) by ${e.from}${byTarget ? ', the destination itself' : ', a device on the way'}. `
            + (admin ? 'The "administratively prohibited" codes are what firewalls send when a reject rule matches.' : 'The sender has no route or cannot deliver to that address/port.'),
          nextSteps: [admin ? `Find the reject rule on ${e.from} (or the firewall it stands for) that matches ${e.quotedSrc} → ${e.quotedDst}:${e.quotedDstPort}.` : `Check routing and the state of ${e.quotedDst} from ${e.from}.`],
        },
        zh: {
          title: `${e.from} 对发往 ${e.quotedDst}:${e.quotedDstPort} 的 ${e.quotedProto} 报文回复"${what}"（${group.length} 次）`,
          explanation: `${e.quotedSrc} 发往 ${e.quotedDst}:${e.quotedDstPort} 的报文收到了来自 ${e.from}${byTarget ? '（目的主机本身）' : '（路径上的设备）'}的 ICMP 目的不可达（${what}）。`
            + (admin ? '"administratively prohibited" 是防火墙匹配到拒绝规则时发送的。' : '发送方没有路由或无法投递到该地址/端口。'),
          nextSteps: [admin ? `在 ${e.from}（或其代表的防火墙）上找到匹配 ${e.quotedSrc} → ${e.quotedDst}:${e.quotedDstPort} 的拒绝规则。` : `从 ${e.from} 检查到 ${e.quotedDst} 的路由和该主机状态。`],
        },
      },
      evidence: evidence(group.map((x) => x.frame), group.flatMap((x) => (x.stream === null ? [] : [x.stream])), [e.quotedSrc, `${e.quotedDst}:${e.quotedDstPort}`, e.from], group.map((x) => x.time), { icmp_errors: group.length, code: e.code }),
    });
  }
  return out;
}

function closedAfterHandshake(conns: Tcp[], claimed: Set<number>): Finding[] {
  const out: Finding[] = [];
  const closed = conns.filter((t) => {
    const s = t.c.summary!;
    return !claimed.has(t.c.stream) && s.handshake && s.origPayload === 0 && s.respPayload === 0 && s.closedBy === 'resp';
  });
  for (const [key, group] of groupBy(closed, (t) => `${t.server}|${t.port}`)) {
    const [server, port] = key.split('|');
    const clients = group.map((t) => t.client);
    out.push({
      id: 'app.closed.after.handshake',
      severity: 'warning',
      text: {
        en: {
          title: `${server}:${port} closed ${group.length} connection(s) right after the handshake, before any data`,
          explanation: `The TCP handshake completes, then ${server}:${port} closes (${group[0].c.summary!.closeKind?.toUpperCase()}) without a byte exchanged. The port is open, but the application (or a proxy/load balancer in front of it) does not accept this client: an allow-list (e.g. tcp.validnode_checking, pg_hba, bind-address), connection limit, or a backend down behind a load balancer.`,
          nextSteps: [`Check the server/proxy logs on ${server} for ${list(clients)} at ${clockText(group[0].c.firstTime)}.`, 'Check client allow-lists and connection limits.'],
        },
        zh: {
          title: `${server}:${port} 在握手后、传输任何数据前关闭了 ${group.length} 个连接`,
          explanation: `TCP 三次握手完成后，${server}:${port} 没有交换任何数据就关闭了连接。端口是开放的，但应用（或其前面的代理/负载均衡）不接受该客户端：白名单（如 tcp.validnode_checking、pg_hba、bind-address）、连接数限制，或负载均衡后端故障。`,
          nextSteps: [`查看 ${server} 上服务/代理在 ${clockText(group[0].c.firstTime)} 前后关于 ${list(clients)} 的日志。`, '检查客户端白名单和连接数限制。'],
        },
      },
      evidence: evidence(group.map((t) => t.c.firstFrame), group.map((t) => t.c.stream), [...new Set(clients), `${server}:${port}`], group.map((t) => t.c.firstTime), { connections: group.length }),
    });
  }
  return out;
}

function dnsFailures(facts: CaptureFacts): Finding[] {
  const out: Finding[] = [];
  interface Bad { c: ConnFacts; frame: number; time: number; what: string; kind: string; server: string }
  const bad: Bad[] = [];
  for (const c of facts.conns) {
    // The last failure the connection's summary told. A query is unanswered only when it is the
    // last thing said (an answer replaces its summary) and the capture went on 2 s after it.
    for (let i = c.app.length - 1; i >= 0; i--) {
      const e = c.app[i];
      const err = DNS_ERROR.exec(e.text);
      const unanswered = !err && i === c.app.length - 1 && DNS_UNANSWERED.test(e.text) && facts.lastTime - e.time >= 2;
      if (!err && !unanswered) continue;
      bad.push({ c, frame: e.frame, time: e.time, what: e.text.replace(/^dns: /, ''), kind: err ? err[1].toUpperCase() : 'unanswered', server: c.summary?.respAddr ?? '' });
      break;
    }
  }
  // One finding per resolver and kind of failure, naming the queries (most frequent first).
  for (const [, group] of groupBy(bad, (x) => `${x.server}|${x.kind}`)) {
    const { kind, server } = group[0];
    const unanswered = kind === 'unanswered';
    const counts = new Map<string, number>();
    // `NXDOMAIN for db.lab` / `query db.lab A (no answer seen)` → the name asked for.
    for (const x of group) {
      const name = x.what.replace(/^\w+ for /, '').replace(/^query /, '').replace(/ \(no answer seen\)$/, '');
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    const whats = [...counts].sort((a, b) => b[1] - a[1]).map(([w, n]) => (n > 1 ? `${w} ×${n}` : w));
    const shown = whats.length <= 3 ? whats.join('; ') : `${whats.slice(0, 3).join('; ')} … (${whats.length} different)`;
    const from = server ? ` from ${server}` : '';
    out.push({
      id: 'dns.failure',
      severity: 'warning',
      text: {
        en: {
          title: `DNS ${unanswered ? 'queries never answered' : `error ${kind}`}${from} for ${shown} (${group.length} time(s))`,
          explanation: unanswered ? 'The resolver never answered these queries: the DNS server is unreachable or drops them; clients wait for a timeout before failing.' : `The DNS server answered with an error (${kind}). The client cannot find the address it needs, which looks like a network failure to the application.`,
          nextSteps: ['Check the names in the client configuration and the DNS server it uses (resolv.conf).', 'Query the same names with dig against the same server.'],
        },
        zh: {
          title: `DNS ${unanswered ? '查询没有回应' : `错误 ${kind}`}${server ? `（${server}）` : ''}：${shown}（${group.length} 次）`,
          explanation: unanswered ? '解析服务器从未回应这些查询：DNS 服务器不可达或丢弃了请求；客户端会等到超时才失败。' : `DNS 服务器返回错误（${kind}）。客户端找不到需要的地址，在应用看来就像网络故障。`,
          nextSteps: ['检查客户端配置中的域名及其使用的 DNS 服务器（resolv.conf）。', '用 dig 向同一服务器查询这些域名。'],
        },
      },
      evidence: evidence(group.map((x) => x.frame), group.map((x) => x.c.stream), server ? [server] : [], group.map((x) => x.time), { queries: group.length, names: counts.size }),
    });
  }
  return out;
}

function tlsFailures(conns: Tcp[]): Finding[] {
  const out: Finding[] = [];
  const bad = conns.flatMap((t) => t.c.app.filter((e) => TLS_ALERT.test(e.text)).slice(-1).map((e) => ({ t, e })));
  for (const [key, group] of groupBy(bad, (x) => `${x.t.server}|${x.t.port}|${x.e.text}`)) {
    const { t, e } = group[0];
    const what = e.text.replace(/^tls: /, '');
    void key;
    out.push({
      id: 'tls.failure',
      severity: 'warning',
      text: {
        en: {
          title: `TLS with ${t.server}:${t.port} fails: ${what} (${group.length} connection(s))`,
          explanation: `The TCP connection works but the TLS handshake ends with ${what}. Typical causes: certificate not trusted or expired (bad_certificate, unknown_ca), no common protocol version or cipher (protocol_version, handshake_failure), wrong SNI/host name.`,
          nextSteps: [`Run openssl s_client -connect ${t.server}:${t.port} from ${t.client} to see the certificate and versions offered.`],
        },
        zh: {
          title: `与 ${t.server}:${t.port} 的 TLS 握手失败：${what}（${group.length} 个连接）`,
          explanation: `TCP 连接正常，但 TLS 握手以 ${what} 结束。常见原因：证书不受信任或已过期（bad_certificate、unknown_ca），没有共同的协议版本或加密套件（protocol_version、handshake_failure），SNI/主机名错误。`,
          nextSteps: [`在 ${t.client} 上运行 openssl s_client -connect ${t.server}:${t.port} 查看证书和协议版本。`],
        },
      },
      evidence: evidence(group.map((x) => x.e.frame), group.map((x) => x.t.c.stream), [t.client, `${t.server}:${t.port}`], group.map((x) => x.e.time), { connections: group.length }),
    });
  }
  return out;
}


/** Seconds of silence after which a RST counts as the end of an idle connection. */
export const IDLE_MIN = 2.5;

function idleResets(facts: CaptureFacts, conns: Tcp[], claimed: Set<number>): Finding[] {
  const out: Finding[] = [];
  const killed = conns.filter((t) => {
    const r = t.c.idleReset;
    if (claimed.has(t.c.stream) || !t.c.summary!.handshake || !r || r.idle < IDLE_MIN || r.packetsBefore < 3) return false;
    // A host closing its own idle connection with a RST is not a failure: the RST must answer
    // the first packet after the silence (the state was gone), or not come from the host at all.
    if (r.trigger) return true;
    const v = rstVerdict(facts, r.rst.src, r.rst);
    return v === 'forged' || v === 'forged-no-reference';
  });
  for (const [key, group] of groupBy(killed, (t) => `${t.server}|${t.port}`)) {
    const [server, port] = key.split('|');
    for (const t of group) claimed.add(t.c.stream);
    const first = group[0].c.idleReset!;
    const idles = group.map((t) => t.c.idleReset!.idle);
    const minIdle = idles.reduce((m, x) => Math.min(m, x));
    const byServerAddr = group.filter((t) => t.c.idleReset!.rst.src === t.server);
    const verdicts = byServerAddr.map((t) => rstVerdict(facts, t.server, t.c.idleReset!.rst));
    const forged = verdicts.some((v) => v === 'forged' || v === 'forged-no-reference');
    const rstFrom = first.rst.src === group[0].server ? server : first.rst.src;
    const ttl = first.rst.ttl;
    const ref = ttlSet(facts, rstFrom);
    const who = forged
      ? `The RST carries TTL ${ttl} while ${rstFrom}'s own packets arrive with TTL ${ref.join('/') || '(none seen)'}: a device in the path (firewall/NAT/load balancer) sent it in ${rstFrom}'s name after its connection-tracking entry expired.`
      : `The RST carries ${rstFrom}'s own TTL (${ttl}): the host itself no longer knew the connection (its side timed out or a device in the path dropped the state and the packet reached the host as a stray).`;
    const whoZh = forged
      ? `RST 的 TTL 为 ${ttl}，而 ${rstFrom} 自己的报文 TTL 为 ${ref.join('/') || '（未见）'}：是路径上的设备（防火墙/NAT/负载均衡）在连接跟踪表项过期后冒充 ${rstFrom} 发出的。`
      : `RST 的 TTL 与 ${rstFrom} 自己的报文相同（${ttl}）：主机本身已不认识这个连接（本端超时，或路径设备丢弃了状态）。`;
    const clients = group.map((t) => t.client);
    out.push({
      id: 'tcp.idle.reset',
      severity: 'warning',
      text: {
        en: {
          title: `${group.length} idle connection(s) with ${server}:${port} were reset after ${seconds(minIdle)} or more of silence${forged ? ' by a device in the path' : ''}`,
          explanation: `The connection(s) worked, then stayed idle for ${list(idles.map(seconds))}; ${first.trigger ? `the first packet after the silence (frame ${first.trigger.frame}, from ${first.trigger.from}) was answered with a RST` : 'then a RST arrived'} at ${clockText(first.rst.time)}. ${who} `
            + 'Firewalls, NAT gateways and cloud load balancers forget idle connections after a timeout (often 350 s to 1 h); the next packet then finds no state and is reset or dropped. Connection pools keep such connections and fail on their next use.',
          nextSteps: [
            `Enable TCP keepalives shorter than the idle timeout on ${list(clients)} (or on ${server}), e.g. net.ipv4.tcp_keepalive_time below it, or the pool's keepalive/validation setting.`,
            `Or raise the idle timeout of the firewall/NAT between ${list(clients)} and ${server}:${port}; make the pool's max idle time shorter than it.`,
          ],
        },
        zh: {
          title: `与 ${server}:${port} 的 ${group.length} 个空闲连接在静默 ${seconds(minIdle)} 以上后被${forged ? '路径上的设备' : ''}重置`,
          explanation: `连接原本正常，随后空闲了 ${list(idles.map(seconds))}；${first.trigger ? `静默后的第一个报文（帧 ${first.trigger.frame}，来自 ${first.trigger.from}）收到了 RST` : '随后收到 RST'}（${clockText(first.rst.time)}）。${whoZh}`
            + '防火墙、NAT 网关和云负载均衡会在超时（常见 350 秒到 1 小时）后忘记空闲连接，之后的报文找不到状态就被重置或丢弃。连接池保留这类连接，下次使用时就会失败。',
          nextSteps: [
            `在 ${list(clients)}（或 ${server}）上启用比空闲超时更短的 TCP keepalive（如 net.ipv4.tcp_keepalive_time），或连接池的保活/校验设置。`,
            `或调大 ${list(clients)} 与 ${server}:${port} 之间防火墙/NAT 的空闲超时，并让连接池的最大空闲时间小于它。`,
          ],
        },
      },
      evidence: evidence(group.flatMap((t) => [t.c.idleReset!.rst.frame, ...(t.c.idleReset!.trigger ? [t.c.idleReset!.trigger.frame] : [])]), group.map((t) => t.c.stream),
        [...new Set(clients), `${server}:${port}`], group.flatMap((t) => [t.c.idleReset!.rst.time - t.c.idleReset!.idle, t.c.idleReset!.rst.time]),
        { connections: group.length, idle_seconds_min: Math.round(minIdle * 1000) / 1000, rst_ttl: ttl, forged: forged ? 1 : 0 }),
    });
  }
  return out;
}

function mtuBlackhole(conns: Tcp[], claimed: Set<number>): Finding[] {
  const out: Finding[] = [];
  const stuck = conns.filter((t) => !claimed.has(t.c.stream) && t.c.summary!.handshake && t.c.big && t.c.big.retrans >= 2 && !t.c.big.acked);
  for (const [sender, group] of groupBy(stuck, (t) => t.c.big!.sender)) {
    for (const t of group) claimed.add(t.c.stream);
    const len = group.reduce((m, t) => Math.max(m, t.c.big!.len), 0);
    const retrans = group.reduce((n, t) => n + t.c.big!.retrans, 0);
    const icmp = group.find((t) => t.c.fragNeeded)?.c.fragNeeded ?? null;
    const peers = group.map((t) => (`${t.client}:${t.c.summary!.origPort}` === sender ? `${t.server}:${t.port}` : t.client));
    const smallData = group.reduce((n, t) => n + t.c.dataSegments, 0) - group.reduce((n, t) => n + 1 + t.c.big!.retrans, 0);
    const why = icmp
      ? `An ICMP "fragmentation needed" from ${icmp.from} (next-hop MTU ${icmp.mtu}) is in this capture (frame ${icmp.frame}), yet ${sender} kept sending ${len}-byte segments: the ICMP reaches the capture point but not the TCP stack (a host firewall dropping ICMP, or PMTU discovery turned off).`
      : `No ICMP "fragmentation needed" came back: a link on the way has a smaller MTU and the router's ICMP is dropped (a firewall blocking all ICMP), so ${sender} never learns to send smaller segments — a PMTU black hole.`;
    const whyZh = icmp
      ? `抓包中有来自 ${icmp.from} 的 ICMP"需要分片"（下一跳 MTU ${icmp.mtu}，帧 ${icmp.frame}），但 ${sender} 仍在发送 ${len} 字节的分段：ICMP 到达了抓包点却没有到达 TCP 协议栈（主机防火墙丢弃 ICMP，或关闭了 PMTU 发现）。`
      : `没有收到 ICMP"需要分片"：路径上某条链路的 MTU 更小，而路由器发出的 ICMP 被丢弃（防火墙屏蔽了所有 ICMP），${sender} 永远不知道要发更小的分段——PMTU 黑洞。`;
    out.push({
      id: 'mtu.blackhole',
      severity: 'error',
      text: {
        en: {
          title: `Full-size ${len}-byte segments from ${sender} are resent ${retrans} time(s) and never acknowledged, while small packets pass (${group.length} connection(s))`,
          explanation: `The handshake and the small packets of ${group.length} connection(s) between ${sender} and ${list(peers)} get through, but every segment of ${len} bytes is retransmitted with the same size and never acknowledged. ${why} `
            + 'Typical places: VPN/IPsec/GRE tunnels, VXLAN overlays, PPPoE links (MTU 1492/1450/1400) with ICMP filtered.',
          nextSteps: [
            'Allow ICMP type 3 code 4 (IPv6: type 2, packet too big) through the firewalls on the path and on the hosts.',
            `Or clamp the MSS on the router/tunnel (nft: tcp flags syn tcp option maxseg size set rt mtu), or lower the MTU on ${sender}.`,
            `Confirm: ping -M do -s 1472 ${peers[0]?.replace(/:\d+$/, '')} fails while -s 1300 works.`,
          ],
        },
        zh: {
          title: `${sender} 的 ${len} 字节满长分段被重传 ${retrans} 次始终没有确认，而小报文正常通过（${group.length} 个连接）`,
          explanation: `${group.length} 个连接（${sender} 与 ${list(peers)}）的握手和小报文都能通过，但每个 ${len} 字节的分段都以相同大小重传且从未被确认。${whyZh}常见场景：VPN/IPsec/GRE 隧道、VXLAN 叠加网络、PPPoE 链路（MTU 1492/1450/1400）且 ICMP 被过滤。`,
          nextSteps: [
            '在路径上的防火墙和主机上放行 ICMP 类型 3 代码 4（IPv6：类型 2，报文过大）。',
            `或在路由器/隧道上钳制 MSS，或调低 ${sender} 的 MTU。`,
            `验证：ping -M do -s 1472 ${peers[0]?.replace(/:\d+$/, '')} 失败而 -s 1300 成功。`,
          ],
        },
      },
      evidence: evidence(group.flatMap((t) => [t.c.big!.first, ...t.c.big!.frames, ...(t.c.fragNeeded ? [t.c.fragNeeded.frame] : [])]), group.map((t) => t.c.stream),
        [sender, ...new Set(peers), ...(icmp ? [icmp.from] : [])], group.flatMap((t) => [t.c.firstTime, t.c.lastTime]),
        { connections: group.length, segment_size: len, full_size_retransmissions: retrans, small_data_segments: Math.max(0, smallData), icmp_frag_needed: icmp ? 1 : 0, next_hop_mtu: icmp?.mtu ?? 0 }),
    });
  }
  return out;
}

/** Orders findings: severity, then first time. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => severityRank[a.severity] - severityRank[b.severity] || (a.evidence.firstTime ?? 0) - (b.evidence.firstTime ?? 0));
}

/**
 * Rules across captures taken at different points (client side, server side, both sides of a
 * NAT): every pair of captures is compared packet by packet (compare.ts — IP ID, TCP seq/ack,
 * payload hash; never timestamps alone), giving `path.drop` (packets seen at one point that
 * never reached the other, by direction) and `path.nat` (addresses/ports rewritten between the
 * points). The facts must have been collected with `fingerprint: true`.
 */
export function diagnoseAcross(all: CaptureFacts[]): Finding[] {
  const out: Finding[] = [];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i];
      const b = all[j];
      if (!a.index || !b.index) throw new Error('diagnoseAcross needs facts collected with { fingerprint: true }');
      out.push(...diagnoseComparison(a, b, compareIndexes(a.index, b.index, { keepPairs: false })));
    }
  }
  return sortFindings(out);
}

/** Below this share of the smaller capture's packets matched, two captures are of different traffic. */
const UNRELATED_SHARE = 0.01;

/** path.drop and path.nat from one comparison of captures A and B. */
export function diagnoseComparison(a: CaptureFacts, b: CaptureFacts, cmp: Comparison): Finding[] {
  const out: Finding[] = [];
  // Captures of the same traffic share a good part of the smaller one's packets; a handful of
  // chance matches (identical keys of unrelated packets) tells neither the sides of the path nor
  // a NAT: then the captures are compared as if nothing matched.
  const chance = cmp.matchedCount < UNRELATED_SHARE * Math.min(cmp.a.count, cmp.b.count);
  const none = new Set<string>();
  const clock = chance ? null : cmp.clockOffset;
  const offset = clock?.seconds ?? 0;
  // A packet still on its way when the other capture's last packet was taken proves nothing.
  const delay = Math.max(0, clock?.oneWayDelay ?? 0);
  out.push(...pathDrop(a, b, cmp.a, cmp.onlyA, chance ? none : new Set(cmp.sideB), chance ? none : new Set(cmp.sideA), offset, delay, cmp.matchedCount));
  out.push(...pathDrop(b, a, cmp.b, cmp.onlyB, chance ? none : new Set(cmp.sideAatB), chance ? none : new Set(cmp.sideBatB), -offset, delay, cmp.matchedCount));
  if (!chance) out.push(...pathNat(a, b, cmp));
  return out;
}


function streamsByTuple(facts: CaptureFacts): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of facts.conns) {
    const s = c.summary;
    if (!s) continue;
    m.set(`${c.proto} ${s.origAddr} ${s.origPort} ${s.respAddr} ${s.respPort}`, c.stream);
    m.set(`${c.proto} ${s.respAddr} ${s.respPort} ${s.origAddr} ${s.origPort}`, c.stream);
  }
  return m;
}

function pathDrop(here: CaptureFacts, there: CaptureFacts, idx: CaptureIndex, only: number[], toward: Set<string>, ownSide: Set<string>, offset: number, delay: number, matched: number): Finding[] {
  const out: Finding[] = [];
  // Without a single matched packet the sides are unknown: the other capture's addresses stand in.
  const towardSet = toward.size ? toward : there.addresses;
  // Only while the other point was capturing (its first to last packet, on its clock).
  const from = there.frames ? there.firstTime : Infinity;
  const to = there.frames ? there.lastTime - delay : -Infinity;
  const streams = streamsByTuple(here);
  // Per flow of the index: its stream in this capture, looked up once (-2 not yet, -1 none).
  const streamOfFlow = new Int32Array(idx.flows.length).fill(-2);
  /** Packets of one destination missing at the other point, aggregated (a capture may miss millions). */
  interface Lost { proto: string; dst: string; port: number; count: number; syns: number; frames: number[]; first: number; last: number; clients: Set<string>; streams: Set<number> }
  const lostBy = new Map<string, Lost>();
  const injected: Array<{ frame: number; src: string; stream: number | undefined }> = [];
  // Per flow and direction: 1 toward the other point (lost there), 2 from its side (a RST may be forged), 3 neither.
  const sideOf = new Uint8Array(idx.flows.length * 2);
  // Per flow and direction toward the other point: its destination's aggregate. Sender and
  // stream are the same for every packet of a flow direction, so they join the aggregate once,
  // at its first packet (the order and caps of `clients`/`streams` are those of adding them per packet).
  const lostOf: Array<Lost | undefined> = new Array(idx.flows.length * 2);
  // `only` is in frame order, as the index rows: one cursor walks both.
  let row = 0;
  for (const frame of only) {
    while (row < idx.count && idx.frame[row] < frame) row++;
    if (idx.frame[row] !== frame) row = rowOf(idx, frame);
    const time = idx.time[row];
    const t = time + offset;
    if (t < from || t > to) continue;
    const f = idx.flow[row];
    const flow = f & 0x7fffffff;
    const side = 2 * flow + (f < 0 ? 1 : 0);
    const flags = idx.flags[row];
    let sd = sideOf[side];
    if (sd === 1) {
      // The common case (a million packets that never arrived): counts only.
      const g = lostOf[side]!;
      g.count++;
      if ((flags & 0x12) === 0x02) g.syns++; // UDP rows carry flags 0
      if (g.frames.length < MAX_FRAMES) g.frames.push(frame);
      g.last = time;
      continue;
    }
    // Neither toward the other point nor a RST from its side: nothing to note.
    if (sd === 3 || (sd === 2 && !(flags & 0x04))) continue;
    const fl = idx.flows[flow];
    const rev = f < 0;
    const src = rev ? fl.dst : fl.src;
    const dst = rev ? fl.src : fl.dst;
    const dstPort = rev ? fl.srcPort : fl.dstPort;
    let s = streamOfFlow[flow];
    if (s === -2) s = streamOfFlow[flow] = streams.get(`${fl.proto} ${fl.src} ${fl.srcPort} ${fl.dst} ${fl.dstPort}`) ?? -1;
    const stream = s >= 0 ? s : undefined;
    const syn = fl.proto === 'tcp' && (flags & 0x12) === 0x02;
    if (!sd) sd = sideOf[side] = towardSet.has(dst) && !towardSet.has(src) ? 1 : toward.size && towardSet.has(src) && (ownSide.has(dst) || !ownSide.size) ? 2 : 3;
    if (sd === 1) {
      const key = `${fl.proto}|${dst}|${dstPort}`;
      let g = lostBy.get(key);
      if (!g) lostBy.set(key, (g = { proto: fl.proto, dst, port: dstPort, count: 0, syns: 0, frames: [], first: time, last: time, clients: new Set(), streams: new Set() }));
      lostOf[side] = g;
      g.count++;
      if (syn) g.syns++;
      if (g.frames.length < MAX_FRAMES) g.frames.push(frame);
      g.last = time;
      if (g.clients.size < 64) g.clients.add(src);
      if (stream !== undefined && g.streams.size < 1000) g.streams.add(stream);
    } else if (sd === 2 && fl.proto === 'tcp' && flags & 0x04 && injected.length < 10_000) {
      injected.push({ frame, src, stream });
    }
  }
  for (const g of lostBy.values()) {
    const { proto, dst, port, syns } = g;
    if (!syns && g.count < 2) continue;
    const clients = [...g.clients];
    // Thousands of these when two captures of different traffic are compared: each text piece once.
    const who = list(clients);
    const since = clockText(g.first);
    const to = `${dst}:${port}`;
    const rsts = injected.length ? injected.filter((x) => x.src === dst && x.stream !== undefined && g.streams.has(x.stream)) : [];
    const forged = rsts.length > 0;
    const what = syns === g.count ? `${syns} SYN(s)` : `${g.count} ${proto.toUpperCase()} packet(s)${syns ? ` (${syns} SYN(s))` : ''}`;
    out.push({
      id: 'path.drop',
      severity: 'error',
      text: {
        en: {
          title: `${what} from ${who} to ${to} seen in ${here.file} never reached ${there.file} (from ${since} on)`,
          explanation: `The two captures were matched packet by packet (IP ID, TCP sequence and acknowledgement numbers, payload hash — not timestamps; ${matched} packets matched${offset ? `, clock offset ${offset.toFixed(6)} s` : ''}). `
            + `${g.count} packet(s) from ${who} to ${to} are in ${here.file} but not in ${there.file}, though ${there.file} was capturing at that time and sees this traffic's side of the network. `
            + (forged ? `The ${rsts.length} RST(s) ${who} received "from" ${dst} are not in ${there.file} either: ${dst} never saw those connections, so the RSTs could not come from ${dst}. A device between the two capture points answered in its name.`
              : 'They were dropped between the two capture points.'),
          nextSteps: [`Find the devices between the two capture points (firewalls, security groups, IPS, NAT) and their rules for ${who} → ${to}.`],
        },
        zh: {
          title: `${here.file} 中从 ${who} 发往 ${to} 的 ${g.count} 个报文（${syns} 个 SYN）从未到达 ${there.file}（自 ${since} 起）`,
          explanation: `两份抓包按报文逐个匹配（IP ID、TCP 序号和确认号、载荷哈希——而不是时间戳；共匹配 ${matched} 个报文）。`
            + `${g.count} 个从 ${who} 发往 ${to} 的报文在 ${here.file} 中有、在 ${there.file} 中没有，而 ${there.file} 当时正在抓包并能看到这一侧的流量。`
            + (forged ? `客户端收到的 ${rsts.length} 个"来自" ${dst} 的 RST 在 ${there.file} 中也没有：${dst} 根本没有看到这些连接，所以这些 RST 不可能来自 ${dst}，是两个抓包点之间的设备冒充它回复的。` : '它们在两个抓包点之间被丢弃了。'),
          nextSteps: [`找出两个抓包点之间的设备（防火墙、安全组、IPS、NAT）及其针对 ${who} → ${to} 的规则。`],
        },
      },
      evidence: evidence([...g.frames, ...rsts.map((x) => x.frame)], [...g.streams], [...clients, to, here.file, there.file],
        [g.first, g.last], { packets_missing_there: g.count, syns_missing_there: syns, rsts_not_sent_by_server: rsts.length, matched_packets: matched }),
    });
  }
  return out;
}

function pathNat(a: CaptureFacts, b: CaptureFacts, cmp: Comparison): Finding[] {
  if (!cmp.nat.length) return [];
  const host = (e: string) => e.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const port = (e: string) => Number(/:(\d+)$/.exec(e)?.[1] ?? 0);
  const groups = groupBy(cmp.nat, (m) => `${m.role}|${host(m.a)}|${host(m.b)}`);
  const lines: string[] = [];
  const linesZh: string[] = [];
  const counts: Record<string, number> = { mappings: cmp.nat.length, matched_packets: cmp.matchedCount, matched_by_relative_seq: cmp.matchedRelative };
  let snat = 0;
  let dnat = 0;
  for (const [key, ms] of groups) {
    const [role, ha, hb] = key.split('|');
    const portsKept = ms.every((m) => port(m.a) === port(m.b));
    if (role === 'client') snat += ms.length;
    else dnat += ms.length;
    const example = ms[0];
    const what = ha === hb ? `port ${port(example.a)} → ${port(example.b)}` : portsKept ? `${ha} → ${hb} (ports kept)` : `${ha} → ${hb} (ports changed, e.g. ${example.a} → ${example.b})`;
    lines.push(`${role === 'client' ? 'client' : 'server'} ${ha === hb ? ha + ' ' : ''}${what}: ${ms.length} endpoint(s)`);
    linesZh.push(`${role === 'client' ? '客户端' : '服务器'} ${ha === hb ? ha + ' ' : ''}${what}：${ms.length} 个端点`);
  }
  counts.client_endpoints_rewritten = snat;
  counts.server_endpoints_rewritten = dnat;
  const kinds = [snat ? 'source NAT' : '', dnat ? 'destination NAT' : ''].filter(Boolean).join(' and ');
  const frames = cmp.nat.map((m) => m.frameA);
  return [{
    id: 'path.nat',
    severity: 'info',
    text: {
      en: {
        title: `Addresses are rewritten between ${a.file} and ${b.file} (${kinds}): ${lines.join('; ')}`,
        explanation: `Packets were matched across the two captures by what NAT leaves alone (IP ID, TCP sequence/acknowledgement numbers, payload hash${cmp.matchedRelative ? `; ${cmp.matchedRelative} only by sequence numbers relative to the first, so the device also rewrites initial sequence numbers` : ''}), and the same packets carry different addresses/ports at the two points: `
          + `a device between them translates ${kinds === 'source NAT' ? 'the client\'s address (SNAT/masquerade)' : kinds === 'destination NAT' ? 'the destination (DNAT/port forwarding/load balancer)' : 'both the client\'s address and the destination'}. `
          + `Firewall rules and server-side logs after that device see the translated addresses (${cmp.nat.slice(0, 3).map((m) => `${m.a} appears as ${m.b}`).join(', ')}).`,
        nextSteps: ['Write allow-lists, pg_hba/validnode rules and log searches for the addresses as seen on the server side.', 'The comparison (path.drop) already accounts for the translation.'],
      },
      zh: {
        title: `${a.file} 与 ${b.file} 之间的地址被改写（${snat ? '源地址转换' : ''}${snat && dnat ? '和' : ''}${dnat ? '目的地址转换' : ''}）：${linesZh.join('；')}`,
        explanation: `两份抓包按 NAT 不会改变的字段（IP ID、TCP 序号/确认号、载荷哈希）逐个匹配，同一报文在两个抓包点的地址/端口不同：中间的设备做了地址转换。该设备之后的防火墙规则和服务器日志看到的是转换后的地址（${cmp.nat.slice(0, 3).map((m) => `${m.a} 变为 ${m.b}`).join('，')}）。`,
        nextSteps: ['白名单、pg_hba/validnode 规则和日志检索请使用服务器侧看到的地址。', '对比（path.drop）已考虑地址转换。'],
      },
    },
    evidence: evidence(frames, [], cmp.nat.slice(0, 8).flatMap((m) => [m.a, m.b]), cmp.nat.map((m) => m.time), counts),
  }];
}

/** Retransmitted share of data segments above which a connection counts as lossy. */
const LOSS_SHARE = 0.02;

function loss(conns: Tcp[]): Finding[] {
  const out: Finding[] = [];
  // Segments resent smaller after an ICMP fragmentation-needed are path MTU discovery at work, not loss.
  const resent = (t: Tcp) => t.c.retransmissions - t.c.pmtuRetransmissions;
  const lossy = conns.filter((t) => t.c.summary!.handshake && t.c.dataSegments >= 20 && resent(t) + t.c.lostSegments >= 3
    && (resent(t) + t.c.lostSegments) / t.c.dataSegments >= LOSS_SHARE);
  for (const [key, group] of groupBy(lossy, (t) => `${t.server}|${t.port}`)) {
    const [server, port] = key.split('|');
    const retr = group.reduce((n, t) => n + resent(t), 0);
    const lost = group.reduce((n, t) => n + t.c.lostSegments, 0);
    const data = group.reduce((n, t) => n + t.c.dataSegments, 0);
    const pct = ((100 * (retr + lost)) / data).toFixed(1);
    const clients = group.map((t) => t.client);
    out.push({
      id: 'tcp.loss',
      severity: 'warning',
      text: {
        en: {
          title: `Packet loss on ${group.length} connection(s) with ${server}:${port}: ${retr} retransmissions, ${lost} segments missing (${pct}% of ${data} data segments)`,
          explanation: `The connections work but segments are lost on the way and resent: each loss costs at least one round trip, often a retransmission timeout (200 ms or more), so transfers are slow or time out. Retransmissions (same data sent again) and gaps (a later segment arrived before an earlier one was seen) point to loss between the sender and the capture point, or to congestion, a policer or a faulty link.`,
          nextSteps: [`Look for errors and drops on the interfaces and devices between ${list(clients)} and ${server} (interface counters, policers, rate limits).`, 'Capture at the other end too to place the loss before or after the capture point.'],
        },
        zh: {
          title: `与 ${server}:${port} 的 ${group.length} 个连接存在丢包：重传 ${retr} 次，缺失 ${lost} 个分段（占 ${data} 个数据分段的 ${pct}%）`,
          explanation: '连接是通的，但分段在路上丢失并被重传：每次丢包至少耗费一个往返，常常是一个重传超时（200 毫秒或更长），所以传输变慢或超时。重传（同样的数据再次发送）和空洞（后面的分段先到）说明发送方与抓包点之间有丢包，或存在拥塞、限速或故障链路。',
          nextSteps: [`检查 ${list(clients)} 与 ${server} 之间接口和设备上的错误与丢弃计数（接口计数器、限速策略）。`, '在另一端同时抓包，确定丢包发生在抓包点之前还是之后。'],
        },
      },
      evidence: evidence(group.map((t) => t.c.firstFrame), group.map((t) => t.c.stream), [...new Set(clients), `${server}:${port}`], group.flatMap((t) => [t.c.firstTime, t.c.lastTime]),
        { connections: group.length, retransmissions: retr, lost_segments: lost, data_segments: data }),
    });
  }
  return out;
}

function zeroWindow(conns: Tcp[]): Finding[] {
  const out: Finding[] = [];
  const stalled = conns.filter((t) => t.c.zeroWindows > 0 && t.c.zeroWindowFirst);
  for (const [who, group] of groupBy(stalled, (t) => t.c.zeroWindowFrom!)) {
    const n = group.reduce((k, t) => k + t.c.zeroWindows, 0);
    const first = group[0].c.zeroWindowFirst!;
    out.push({
      id: 'tcp.zero_window',
      severity: 'warning',
      text: {
        en: {
          title: `${who} stopped reading: it advertised a zero receive window ${n} time(s) on ${group.length} connection(s)`,
          explanation: `A zero window means ${who}'s receive buffer is full because its application is not reading the data; the sender must pause. This is not a network problem: the receiving application is slow, blocked or hung (first at ${clockText(first.time)}).`,
          nextSteps: [`Look at the application behind ${who} at ${clockText(first.time)}: CPU, blocked threads, GC pauses, a slow disk or a downstream call.`],
        },
        zh: {
          title: `${who} 停止读取数据：在 ${group.length} 个连接上通告零接收窗口 ${n} 次`,
          explanation: `零窗口表示 ${who} 的接收缓冲区已满，因为其应用没有读取数据，发送方只能暂停。这不是网络问题：接收端应用缓慢、阻塞或挂起（首次在 ${clockText(first.time)}）。`,
          nextSteps: [`检查 ${who} 上的应用在 ${clockText(first.time)} 前后的状态：CPU、阻塞线程、GC 停顿、慢磁盘或下游调用。`],
        },
      },
      evidence: evidence(group.map((t) => t.c.zeroWindowFirst!.frame), group.map((t) => t.c.stream), [who], group.map((t) => t.c.zeroWindowFirst!.time), { zero_windows: n, connections: group.length }),
    });
  }
  return out;
}
