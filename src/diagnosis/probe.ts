/**
 * What `wiresage probe` says to a server: the first steps of its protocol, the way an engineer
 * checks a service by hand — never credentials unless given.
 *
 * - `oracle`   TNS CONNECT (SERVICE_NAME from `service`), then every REDIRECT followed to every
 *              address it names (RAC SCAN/VIP → node), RESEND answered; stops at ACCEPT/REFUSE.
 * - `mysql`    reads the server greeting (version) or its error packet (e.g. 1130 host not allowed).
 * - `postgres` StartupMessage (user `user`, default "wiresage"), reads the authentication request
 *              or the error (28000 no pg_hba entry, …), then Terminate.
 * - `redis`    PING (AUTH first when a password is given).
 * - `tls`      a TLS handshake (ClientHello with SNI when the host is a name), certificate checked.
 * - `http`     HEAD / with a Host header.
 * - `tcp`      the TCP handshake only.
 *
 * Each attempt becomes a {@link ProbeStep}; the caller captures meanwhile and diagnoses.
 *
 * @example
 * const steps = await speak('10.0.0.10', 1521, 'oracle', { service: 'orclpdb', timeoutMs: 5000 });
 * // [{ host: '10.0.0.10', port: 1521, tcp: 'connected', answer: 'REDIRECT to 10.0.0.21:1521', next: ['10.0.0.21:1521'] },
 * //  { host: '10.0.0.21', port: 1521, via: '10.0.0.10:1521', tcp: 'timeout' }]
 */
import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { descriptorAddresses } from './rules.js';

export type ProbeProto = 'oracle' | 'mysql' | 'postgres' | 'redis' | 'tls' | 'http' | 'tcp';
export const PROBE_PROTOS: ProbeProto[] = ['oracle', 'mysql', 'postgres', 'redis', 'tls', 'http', 'tcp'];

/** The protocol a well-known port speaks (tcp when unknown). */
export function protoForPort(port: number): ProbeProto {
  const m: Record<number, ProbeProto> = { 1521: 'oracle', 1522: 'oracle', 1526: 'oracle', 3306: 'mysql', 5432: 'postgres', 6379: 'redis', 443: 'tls', 8443: 'tls', 636: 'tls', 80: 'http', 8080: 'http' };
  return m[port] ?? 'tcp';
}

export interface ProbeOptions {
  /** Oracle SERVICE_NAME (default ORCL). */
  service?: string;
  /** PostgreSQL user / database in the startup message. */
  user?: string;
  database?: string;
  /** Redis AUTH password (only sent when given). */
  password?: string;
  /** Per connection: handshake plus first answer (default 5000 ms). */
  timeoutMs?: number;
}

export type TcpOutcome = 'connected' | 'refused' | 'timeout' | 'unreachable' | 'reset' | 'error';

export interface ProbeStep {
  host: string;
  port: number;
  /** The address that redirected here (`host:port`), for hops after a REDIRECT. */
  via?: string;
  tcp: TcpOutcome;
  /** Milliseconds to the end of the TCP handshake. */
  connectMs?: number;
  /** What was sent after the handshake (never a password). */
  sent?: string;
  /** The server's first answer, in a few words, or why none came. */
  answer?: string;
  /** True when the answer means the service works at this step. */
  ok: boolean;
  /** Addresses this step pointed to (REDIRECT). */
  next?: string[];
  error?: string;
}

function endpoint(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parses `host:port` / `[v6]:port`. */
export function parseHostPort(text: string): { host: string; port: number } | null {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:\s]+):(\d+)$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  if (!(port > 0 && port < 65536)) return null;
  return { host: m[1], port };
}

/** Reads from a socket until `complete(buffer)` returns a result, the peer closes, or the time runs out. */
function exchange<T>(sock: Socket, send: Buffer | null, complete: (b: Buffer) => T | undefined, timeoutMs: number): Promise<{ value?: T; closed?: boolean; timeout?: boolean; error?: string; bytes: Buffer }> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (r: { value?: T; closed?: boolean; timeout?: boolean; error?: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('close', onEnd);
      sock.off('error', onError);
      resolve({ ...r, bytes: buf });
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const v = complete(buf);
      if (v !== undefined) finish({ value: v });
    };
    const onEnd = () => finish({ closed: true });
    const onError = (e: NodeJS.ErrnoException) => finish({ error: e.code ?? e.message });
    const timer = setTimeout(() => finish({ timeout: true }), timeoutMs);
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('close', onEnd);
    sock.on('error', onError);
    if (send) sock.write(send);
  });
}

function tcpOutcome(code: string | undefined): TcpOutcome {
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EACCES' || code === 'EPERM') return 'unreachable';
  if (code === 'ECONNRESET') return 'reset';
  return 'error';
}

/** Opens a TCP connection; resolves with the socket or how it failed. */
function open(host: string, port: number, timeoutMs: number): Promise<{ sock?: Socket; outcome: TcpOutcome; ms?: number; error?: string }> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ outcome: 'timeout', error: `no answer to the SYN within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve({ sock, outcome: 'connected', ms: Number(process.hrtime.bigint() - t0) / 1e6 });
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ outcome: tcpOutcome(e.code), error: e.code ?? e.message });
    });
  });
}

// --- Oracle TNS -------------------------------------------------------------------------------

const TNS = { CONNECT: 1, ACCEPT: 2, REFUSE: 4, REDIRECT: 5, DATA: 6, RESEND: 11 };
const TNS_NAMES: Record<number, string> = { 1: 'CONNECT', 2: 'ACCEPT', 3: 'ACK', 4: 'REFUSE', 5: 'REDIRECT', 6: 'DATA', 7: 'NULL', 9: 'ABORT', 11: 'RESEND', 12: 'MARKER' };
/** Offset of the connect data in the CONNECT packets this probe sends. */
const CONNECT_DATA_AT = 58;

/** A TNS CONNECT (version 318, SDU 8192) carrying `data`. */
export function tnsConnect(data: string): Buffer {
  const d = Buffer.from(data, 'latin1');
  const p = Buffer.alloc(CONNECT_DATA_AT + d.length);
  p.writeUInt16BE(p.length, 0);
  p[4] = TNS.CONNECT;
  p.writeUInt16BE(318, 8); // version
  p.writeUInt16BE(300, 10); // lowest compatible version
  p.writeUInt16BE(0x0c41, 12); // service options
  p.writeUInt16BE(8192, 14); // SDU
  p.writeUInt16BE(65535, 16); // TDU
  p.writeUInt16BE(0x4f98, 18); // NT protocol characteristics
  p.writeUInt16BE(0, 20);
  p.writeUInt16BE(1, 22); // value of one in hardware
  p.writeUInt16BE(d.length, 24);
  p.writeUInt16BE(CONNECT_DATA_AT, 26);
  p.writeUInt32BE(0, 28);
  p[32] = 0x41;
  p[33] = 0x41;
  d.copy(p, CONNECT_DATA_AT);
  return p;
}

/** One whole TNS packet at the start of `b` (2-byte lengths before ACCEPT), or undefined. */
function tnsPacket(b: Buffer): { type: number; body: Buffer; len: number } | undefined {
  if (b.length < 8) return undefined;
  const len = b.readUInt16BE(0);
  if (len < 8 || b.length < len) return undefined;
  return { type: b[4], body: b.subarray(8, len), len };
}

async function oracle(sock: Socket, host: string, port: number, o: Required<Pick<ProbeOptions, 'timeoutMs'>> & ProbeOptions): Promise<Pick<ProbeStep, 'sent' | 'answer' | 'ok' | 'next'>> {
  const service = o.service ?? 'ORCL';
  const data = `(DESCRIPTION=(CONNECT_DATA=(SERVICE_NAME=${service})(CID=(PROGRAM=wiresage)(HOST=probe)(USER=probe)))(ADDRESS=(PROTOCOL=TCP)(HOST=${host})(PORT=${port})))`;
  const sent = `TNS CONNECT SERVICE_NAME=${service}`;
  let send: Buffer | null = tnsConnect(data);
  for (let round = 0; round < 3; round++) {
    const r = await exchange(sock, send, (b) => {
      const p = tnsPacket(b);
      if (!p) return undefined;
      // A header-only REDIRECT: the address comes in the DATA packet after it.
      if (p.type === TNS.REDIRECT && p.body.length <= 2) {
        const d = tnsPacket(b.subarray(p.len));
        return d ? { type: p.type, body: d.body.subarray(2) } : undefined;
      }
      return p;
    }, o.timeoutMs);
    send = null;
    if (!r.value) return { sent, ok: false, answer: r.timeout ? 'no TNS answer (timeout)' : r.closed ? 'closed without a TNS answer' : `error ${r.error}` };
    const { type, body } = r.value;
    if (type === TNS.RESEND) {
      send = tnsConnect(data);
      continue;
    }
    if (type === TNS.ACCEPT) return { sent, ok: true, answer: `ACCEPT (TNS version ${body.length >= 2 ? body.readUInt16BE(0) : '?'})` };
    if (type === TNS.REFUSE) {
      const text = body.toString('latin1');
      const err = /ERR=(\d+)/.exec(text)?.[1];
      return { sent, ok: false, answer: `REFUSE${err ? ` ERR=${err}` : ''}` };
    }
    if (type === TNS.REDIRECT) {
      const text = body.toString('latin1');
      const next = descriptorAddresses(text).map((a) => endpoint(a.host, a.port));
      return { sent, ok: true, answer: `REDIRECT to ${next.join(', ') || '(no address)'}`, next };
    }
    return { sent, ok: false, answer: `unexpected TNS ${TNS_NAMES[type] ?? type}` };
  }
  return { sent, ok: false, answer: 'listener kept asking to RESEND' };
}

// --- MySQL, PostgreSQL, Redis, HTTP -----------------------------------------------------------

async function mysql(sock: Socket, o: { timeoutMs: number }): Promise<Pick<ProbeStep, 'sent' | 'answer' | 'ok'>> {
  const r = await exchange(sock, null, (b) => (b.length >= 4 && b.length >= 4 + (b[0] | (b[1] << 8) | (b[2] << 16)) ? b : undefined), o.timeoutMs);
  if (!r.value) return { ok: false, answer: r.timeout ? 'no greeting (timeout)' : 'closed before the greeting' };
  const p = r.value.subarray(4);
  if (p[0] === 0xff) return { ok: false, answer: `error ${p.readUInt16LE(1)}: ${p.subarray(p[3] === 0x23 ? 9 : 3).toString('utf8')}` };
  if (p[0] === 10) return { ok: true, answer: `greeting, server ${p.subarray(1, p.indexOf(0, 1)).toString('latin1')}` };
  return { ok: false, answer: `unexpected first packet (protocol ${p[0]})` };
}

async function postgres(sock: Socket, o: ProbeOptions & { timeoutMs: number }): Promise<Pick<ProbeStep, 'sent' | 'answer' | 'ok'>> {
  const user = o.user ?? 'wiresage';
  const params = ['user', user, 'database', o.database ?? user, 'application_name', 'wiresage-probe'];
  const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), ...params.map((x) => Buffer.from(`${x}\0`)), Buffer.from([0])]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length + 4);
  const sent = `StartupMessage user=${user}`;
  const r = await exchange(sock, Buffer.concat([len, body]), (b) => (b.length >= 5 && b.length >= 1 + b.readUInt32BE(1) ? b : undefined), o.timeoutMs);
  if (!r.value) return { sent, ok: false, answer: r.timeout ? 'no answer (timeout)' : 'closed without an answer' };
  const b = r.value;
  sock.write(Buffer.from([0x58, 0, 0, 0, 4])); // Terminate
  if (b[0] === 0x52) {
    const kind = b.readUInt32BE(5);
    const names: Record<number, string> = { 0: 'authentication not needed (trust)', 3: 'asks for a cleartext password', 5: 'asks for an MD5 password', 10: 'asks for SCRAM (SASL) authentication' };
    return { sent, ok: true, answer: `server ${names[kind] ?? `asks for authentication type ${kind}`}` };
  }
  if (b[0] === 0x45) {
    const fields: Record<string, string> = {};
    for (let i = 5; i < b.length && b[i];) {
      const end = b.indexOf(0, i + 1);
      if (end < 0) break;
      fields[String.fromCharCode(b[i])] = b.toString('utf8', i + 1, end);
      i = end + 1;
    }
    return { sent, ok: false, answer: `error ${fields.C ?? '?'}: ${fields.M ?? ''}` };
  }
  return { sent, ok: false, answer: `unexpected message '${String.fromCharCode(b[0])}'` };
}

function respLine(b: Buffer): string | undefined {
  const i = b.indexOf('\r\n');
  return i < 0 ? undefined : b.toString('utf8', 0, i);
}

async function redis(sock: Socket, o: ProbeOptions & { timeoutMs: number }): Promise<Pick<ProbeStep, 'sent' | 'answer' | 'ok'>> {
  if (o.password !== undefined) {
    const pw = Buffer.from(o.password);
    const auth = Buffer.concat([Buffer.from(`*2\r\n$4\r\nAUTH\r\n$${pw.length}\r\n`), pw, Buffer.from('\r\n')]);
    const a = await exchange(sock, auth, respLine, o.timeoutMs);
    if (!a.value) return { sent: 'AUTH ********', ok: false, answer: a.timeout ? 'no answer (timeout)' : 'closed without an answer' };
    if (!a.value.startsWith('+')) return { sent: 'AUTH ********', ok: false, answer: a.value };
  }
  const sent = o.password !== undefined ? 'AUTH ********, PING' : 'PING';
  const r = await exchange(sock, Buffer.from('*1\r\n$4\r\nPING\r\n'), respLine, o.timeoutMs);
  if (!r.value) return { sent, ok: false, answer: r.timeout ? 'no answer (timeout)' : 'closed without an answer' };
  // Without credentials, NOAUTH only says the server wants a password: the service answers.
  if (/^-NOAUTH/.test(r.value) && o.password === undefined) return { sent, ok: true, answer: `${r.value.slice(1)} (a password is required; none was given)` };
  return { sent, ok: r.value.startsWith('+'), answer: r.value.replace(/^[+-]/, '') };
}

async function http(sock: Socket, host: string, o: { timeoutMs: number }): Promise<Pick<ProbeStep, 'sent' | 'answer' | 'ok'>> {
  const sent = 'HEAD / HTTP/1.1';
  const r = await exchange(sock, Buffer.from(`HEAD / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: wiresage-probe\r\nConnection: close\r\n\r\n`), respLine, o.timeoutMs);
  if (!r.value) return { sent, ok: false, answer: r.timeout ? 'no answer (timeout)' : 'closed without an answer' };
  const status = Number(/^HTTP\/\d(?:\.\d)? (\d{3})/.exec(r.value)?.[1] ?? 0);
  return { sent, ok: status > 0 && status < 500, answer: r.value };
}

function tls(host: string, port: number, o: { timeoutMs: number }): Promise<ProbeStep> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const step: ProbeStep = { host, port, tcp: 'error', sent: `TLS ClientHello${isIP(host) ? '' : ` (SNI ${host})`}`, ok: false };
    const sock = tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), rejectUnauthorized: true });
    const timer = setTimeout(() => {
      step.answer = step.tcp === 'connected' ? 'no TLS answer (timeout)' : undefined;
      if (step.tcp !== 'connected') step.tcp = 'timeout';
      sock.destroy();
      resolve(step);
    }, o.timeoutMs);
    sock.once('connect', () => {
      step.tcp = 'connected';
      step.connectMs = Number(process.hrtime.bigint() - t0) / 1e6;
    });
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = sock.getPeerCertificate();
      step.ok = true;
      step.answer = `${sock.getProtocol()} ${sock.getCipher()?.name ?? ''}, certificate ${cert?.subject?.CN ?? '?'} issued by ${cert?.issuer?.CN ?? '?'}, trusted`;
      sock.end();
      resolve(step);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (step.tcp !== 'connected') {
        step.tcp = tcpOutcome(e.code);
        step.error = e.code ?? e.message;
      } else step.answer = `${e.code ?? 'error'}: ${e.message}`;
      resolve(step);
    });
  });
}

/** Most hops followed (REDIRECTs of REDIRECTs). */
const MAX_STEPS = 16;

/** Speaks to `host:port` and to every address it redirects to; one step per connection. */
export async function speak(host: string, port: number, proto: ProbeProto, opts: ProbeOptions = {}): Promise<ProbeStep[]> {
  const o = { ...opts, timeoutMs: opts.timeoutMs ?? 5000 };
  const steps: ProbeStep[] = [];
  const queue: Array<{ host: string; port: number; via?: string }> = [{ host, port }];
  const seen = new Set<string>();
  while (queue.length && steps.length < MAX_STEPS) {
    const t = queue.shift()!;
    const key = endpoint(t.host, t.port);
    if (seen.has(key)) continue;
    seen.add(key);
    if (proto === 'tls') {
      steps.push({ ...(await tls(t.host, t.port, o)), ...(t.via ? { via: t.via } : {}) });
      continue;
    }
    const c = await open(t.host, t.port, o.timeoutMs);
    const step: ProbeStep = { host: t.host, port: t.port, ...(t.via ? { via: t.via } : {}), tcp: c.outcome, ok: false, ...(c.ms !== undefined ? { connectMs: c.ms } : {}), ...(c.error ? { error: c.error } : {}) };
    steps.push(step);
    if (!c.sock) continue;
    const sock = c.sock;
    sock.on('error', () => undefined);
    try {
      const r = proto === 'oracle' ? await oracle(sock, t.host, t.port, o)
        : proto === 'mysql' ? await mysql(sock, o)
          : proto === 'postgres' ? await postgres(sock, o)
            : proto === 'redis' ? await redis(sock, o)
              : proto === 'http' ? await http(sock, t.host, o)
                : { ok: true };
      Object.assign(step, r);
      for (const n of step.next ?? []) {
        const hp = parseHostPort(n);
        if (hp) queue.push({ ...hp, via: key });
      }
    } finally {
      sock.end();
      setTimeout(() => sock.destroy(), 200).unref();
    }
  }
  return steps;
}
