/**
 * The connections engine on hand-made traffic: Zeek states and histories, who closed and how,
 * TTLs, port reuse, sequence wrap-around, and bad input (nonsense sequence numbers, RST storms,
 * SYN floods, 100k concurrent connections) with bounded memory. Each scenario is also written
 * to a pcap and compared field by field with tshark when tshark is installed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { noTshark, tsharkFields } from '../testing/tshark.js';
import type { ConnectionSummary } from './conversation.js';
import { FlowEngine, type FlowEngineOptions } from './engine.js';
import { noteFieldNames, noteFieldText } from './note-fields.js';
import { icmpUnreachable, record, tcpFrame, udpFrame, writePcap, type TcpSpec } from './synthetic.js';

setFlagsFromString('--expose-gc');
/** Retained heap after a full collection, in MB. */
function heapMB(): number {
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed / 1e6;
}

const dir = mkdtempSync(join(tmpdir(), 'wiresage-flows-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Frame {
  ts: number;
  data: Uint8Array;
  snap?: number;
}

function run(frames: Frame[], opts: FlowEngineOptions = {}) {
  const summaries: ConnectionSummary[] = [];
  const engine = new FlowEngine({ ...opts, onSummary: (s) => summaries.push(s) });
  const rows: string[][] = [];
  for (const f of frames) {
    engine.record(record(f.data, f.ts, f.snap));
    rows.push(noteFieldNames.map((n) => noteFieldText(engine, n)));
  }
  engine.finish();
  summaries.sort((a, b) => (a.proto < b.proto ? -1 : a.proto > b.proto ? 1 : a.stream - b.stream));
  return { engine, summaries, rows };
}

/** Compares the engine's per-packet fields with tshark's on the same frames. */
function sameAsTshark(name: string, frames: Frame[]): void {
  if (noTshark) return;
  const file = join(dir, `${name}.pcap`);
  writePcap(file, frames);
  const fields = [...noteFieldNames];
  const t = tsharkFields(file, fields);
  const { rows } = run(frames);
  assert.equal(t.length, rows.length);
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < fields.length; j++) {
      assert.equal(rows[i][j], t[i][j] ?? '', `${name}: frame ${i + 1} ${fields[j]}`);
    }
  }
}

const C = '10.1.0.1';
const S = '10.2.0.2';
const c = (p: Partial<TcpSpec> & { seq: number; flags: string }): Uint8Array => tcpFrame({ src: C, dst: S, sport: 40000, dport: 80, ttl: 64, ...p });
const s = (p: Partial<TcpSpec> & { seq: number; flags: string }): Uint8Array => tcpFrame({ src: S, dst: C, sport: 80, dport: 40000, ttl: 57, ...p });
const WS = [2, 4, 5, 180, 3, 3, 7, 4, 2];

/** A complete exchange: handshake, request, response, FIN from the client, FIN from the server. */
function normal(t0 = 0, isn = 1000, sisn = 5000): Frame[] {
  return [
    { ts: t0, data: c({ seq: isn, flags: 'S', options: WS }) },
    { ts: t0 + 0.01, data: s({ seq: sisn, ack: isn + 1, flags: 'SA', options: WS }) },
    { ts: t0 + 0.02, data: c({ seq: isn + 1, ack: sisn + 1, flags: 'A' }) },
    { ts: t0 + 0.03, data: c({ seq: isn + 1, ack: sisn + 1, flags: 'PA', payload: 'GET / HTTP/1.1\r\n\r\n' }) },
    { ts: t0 + 0.04, data: s({ seq: sisn + 1, ack: isn + 19, flags: 'A' }) },
    { ts: t0 + 0.05, data: s({ seq: sisn + 1, ack: isn + 19, flags: 'PA', payload: 'HTTP/1.1 200 OK\r\n\r\n' }) },
    { ts: t0 + 0.06, data: c({ seq: isn + 19, ack: sisn + 20, flags: 'FA' }) },
    { ts: t0 + 0.07, data: s({ seq: sisn + 20, ack: isn + 20, flags: 'FA' }) },
    { ts: t0 + 0.08, data: c({ seq: isn + 20, ack: sisn + 21, flags: 'A' }) },
  ];
}

test('normal connection: SF, ShADadFf, handshake, iRTT, client closed with FIN, TTLs', () => {
  const { summaries } = run(normal());
  assert.equal(summaries.length, 1);
  const x = summaries[0];
  assert.equal(x.connState, 'SF');
  assert.equal(x.history, 'ShADadFf');
  assert.equal(x.handshake, true);
  assert.equal(x.irttNs, 20e6);
  assert.equal(x.closedBy, 'orig');
  assert.equal(x.closeKind, 'fin');
  assert.deepEqual([x.origAddr, x.origPort, x.respAddr, x.respPort], [C, 40000, S, 80]);
  assert.deepEqual(x.ttlOrig, { min: 64, max: 64 });
  assert.deepEqual(x.ttlResp, { min: 57, max: 57 });
  assert.equal(x.origPackets, 5);
  assert.equal(x.respPackets, 4);
  assert.equal(x.origPayload, 18);
  assert.equal(x.respPayload, 19);
  sameAsTshark('normal', normal());
});

test('unanswered SYN retransmitted twice: S0, SYN retransmission count', () => {
  const frames = [0, 1, 3].map((ts) => ({ ts, data: c({ seq: 77, flags: 'S', options: WS }) }));
  const { summaries } = run(frames);
  assert.equal(summaries[0].connState, 'S0');
  assert.equal(summaries[0].history, 'S');
  assert.equal(summaries[0].synRetransmissions, 2);
  assert.equal(summaries[0].handshake, false);
  sameAsTshark('syn-retrans', frames);
});

test('rejected (RST in reply to SYN): REJ; RST evidence with TTL', () => {
  const frames = [
    { ts: 0, data: c({ seq: 10, flags: 'S' }) },
    { ts: 0.001, data: s({ seq: 0, ack: 11, flags: 'RA', win: 0, ttl: 64 }) },
  ];
  const { summaries } = run(frames);
  assert.equal(summaries[0].connState, 'REJ');
  assert.equal(summaries[0].history, 'Sr');
  assert.equal(summaries[0].closedBy, 'resp');
  assert.equal(summaries[0].closeKind, 'rst');
  assert.deepEqual(summaries[0].rsts, [{ frame: 2, fromOrig: false, ttl: 64 }]);
  sameAsTshark('rej', frames);
});

test('aborts: RSTO, RSTR, RSTOS0, SH, S1, OTH, flipped SYN-ACK first', () => {
  const est = normal().slice(0, 4);
  const rsto = run([...est, { ts: 1, data: c({ seq: 1019, ack: 5001, flags: 'RA' }) }]).summaries[0];
  assert.equal(rsto.connState, 'RSTO');
  assert.equal(rsto.history, 'ShADR');
  const rstr = run([...est, { ts: 1, data: s({ seq: 5001, ack: 1019, flags: 'RA' }) }]).summaries[0];
  assert.equal(rstr.connState, 'RSTR');
  const rstos0 = run([{ ts: 0, data: c({ seq: 5, flags: 'S' }) }, { ts: 1, data: c({ seq: 6, flags: 'R' }) }]).summaries[0];
  assert.equal(rstos0.connState, 'RSTOS0');
  const sh = run([{ ts: 0, data: c({ seq: 5, flags: 'S' }) }, { ts: 1, data: c({ seq: 6, flags: 'F' }) }]).summaries[0];
  assert.equal(sh.connState, 'SH');
  assert.equal(run(est).summaries[0].connState, 'S1');
  const mid = run([{ ts: 0, data: c({ seq: 5, ack: 9, flags: 'PA', payload: 'x' }) }, { ts: 1, data: s({ seq: 9, ack: 6, flags: 'A' }) }]).summaries[0];
  assert.equal(mid.connState, 'OTH');
  assert.equal(mid.history, 'Da');
  const flipped = run([{ ts: 0, data: s({ seq: 9, ack: 6, flags: 'SA' }) }, { ts: 1, data: c({ seq: 6, ack: 10, flags: 'A' }) }]).summaries[0];
  assert.equal(flipped.history, '^hA');
  assert.equal(flipped.origAddr, C, 'the receiver of the first SYN-ACK is the originator');
});

test('port reuse after close: a SYN with a new ISN opens a new stream (as tshark)', () => {
  const frames = [...normal(0, 1000, 5000), ...normal(5, 900000, 700000)];
  const { summaries, rows } = run(frames);
  const stream = noteFieldNames.indexOf('tcp.stream');
  const reused = noteFieldNames.indexOf('tcp.analysis.reused_ports');
  assert.deepEqual(rows.map((r) => r[stream]), ['0', '0', '0', '0', '0', '0', '0', '0', '0', '1', '1', '1', '1', '1', '1', '1', '1', '1']);
  assert.equal(rows[9][reused], '1');
  assert.deepEqual(summaries.map((x) => [x.stream, x.reason, x.connState]), [[0, 'reused', 'SF'], [1, 'closed', 'SF']]);
  sameAsTshark('port-reuse', frames);
});

test('sequence numbers wrapping past 2^32 raise no false flags', () => {
  const isn = 0xffffff00;
  const frames: Frame[] = [
    { ts: 0, data: c({ seq: isn, flags: 'S' }) },
    { ts: 0.01, data: s({ seq: 7, ack: (isn + 1) >>> 0, flags: 'SA' }) },
  ];
  let seq = (isn + 1) >>> 0;
  for (let i = 0; i < 10; i++) {
    frames.push({ ts: 0.02 + i * 0.01, data: c({ seq, ack: 8, flags: 'A', payload: 'x'.repeat(100) }) });
    seq = (seq + 100) >>> 0;
    frames.push({ ts: 0.025 + i * 0.01, data: s({ seq: 8, ack: seq, flags: 'A' }) });
  }
  const { engine, rows } = run(frames);
  const flags = noteFieldNames.filter((n) => n.startsWith('tcp.analysis.') && !n.includes('frame') && !n.includes('rtt') && !n.includes('bytes') && !n.includes('num'));
  for (const r of rows) for (const f of flags) assert.equal(r[noteFieldNames.indexOf(f)], '', f);
  assert.equal(engine.stats.tcpStreams, 1);
  sameAsTshark('wrap', frames);
});

test('retransmission, duplicate ACKs, fast retransmission, zero window, keep-alive: as tshark', () => {
  const frames: Frame[] = normal().slice(0, 3);
  let t = 0.1;
  const data = (seq: number, ts = (t += 0.001)) => ({ ts, data: c({ seq, ack: 5001, flags: 'A', payload: 'y'.repeat(100) }) });
  frames.push(data(1001), data(1101), data(1201), data(1301));
  frames.push({ ts: (t += 0.001), data: s({ seq: 5001, ack: 1101, flags: 'A' }) });
  for (let i = 0; i < 3; i++) frames.push({ ts: (t += 0.001), data: s({ seq: 5001, ack: 1101, flags: 'A' }) });
  frames.push(data(1101)); // fast retransmission
  frames.push(data(1101, t + 0.5)); // plain retransmission later
  frames.push({ ts: t + 0.6, data: s({ seq: 5001, ack: 1401, flags: 'A', win: 0 }) }); // zero window
  frames.push({ ts: t + 0.7, data: c({ seq: 1401, ack: 5001, flags: 'A', payload: 'z' }) }); // zero window probe
  frames.push({ ts: t + 0.8, data: s({ seq: 5001, ack: 1401, flags: 'A', win: 0 }) }); // probe ack
  frames.push({ ts: t + 0.9, data: s({ seq: 5001, ack: 1401, flags: 'A', win: 512 }) }); // window update
  frames.push({ ts: t + 5, data: c({ seq: 1400, ack: 5001, flags: 'A' }) }); // keep-alive
  frames.push({ ts: t + 5.01, data: s({ seq: 5001, ack: 1401, flags: 'A', win: 512 }) }); // keep-alive ack
  frames.push({ ts: t + 6, data: c({ seq: 3000, ack: 5001, flags: 'A', payload: 'q' }) }); // previous segment lost
  frames.push({ ts: t + 6.1, data: s({ seq: 5001, ack: 4000, flags: 'A', win: 512 }) }); // acks unseen
  sameAsTshark('analysis-flags', frames);
  const { summaries } = run(frames);
  assert.match(summaries[0].history, /T/);
  assert.match(summaries[0].history, /w/);
  assert.match(summaries[0].history, /G/);
});

test('UDP streams, and TCP/UDP headers quoted in ICMP errors get a stream but are not counted', () => {
  const q = udpFrame(C, S, 5353, 53, 'query');
  const frames: Frame[] = [
    { ts: 0, data: q },
    { ts: 0.01, data: icmpUnreachable(S, C, q) },
    { ts: 0.02, data: udpFrame(C, S, 5354, 53, 'again') },
    { ts: 0.03, data: icmpUnreachable(S, C, c({ seq: 9, flags: 'S' }), 13, 40) },
  ];
  const { summaries, rows } = run(frames);
  const us = noteFieldNames.indexOf('udp.stream');
  assert.deepEqual(rows.map((r) => r[us]), ['0', '0', '1', '']);
  const udp = summaries.filter((x) => x.proto === 'udp');
  assert.deepEqual(udp.map((x) => [x.stream, x.origPackets + x.respPackets, x.connState]), [[0, 1, 'S0'], [1, 1, 'S0']]);
  sameAsTshark('icmp-quoted', frames);
});

test('snaplen-cut headers: tshark stops where its exception would', () => {
  const f = c({ seq: 1, ack: 1, flags: 'PA', payload: 'abc', options: [8, 10, 0, 0, 0, 1, 0, 0, 0, 2] });
  const frames: Frame[] = [16, 18, 20, 36, 40, 80].map((cut, i) => ({ ts: i, data: f, snap: 14 + 20 + cut }));
  sameAsTshark('snaplen-cut', frames);
});

test('nonsense sequence numbers and flags: no exception, one stream, bounded state', () => {
  let x = 12345;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const frames: Frame[] = [];
  const letters = 'SAFRPU';
  for (let i = 0; i < 3000; i++) {
    let fl = '';
    for (const l of letters) if (rnd() & 1) fl += l;
    const spec = { seq: rnd(), ack: rnd(), flags: fl, win: rnd() & 0xffff, payload: 'p'.repeat(rnd() % 50) };
    frames.push({ ts: i * 0.001, data: rnd() & 1 ? c(spec) : s(spec) });
  }
  const { engine, summaries } = run(frames);
  assert.ok(engine.stats.tcpStreams >= 1);
  assert.ok(engine.segments.live < 30000);
  assert.equal(summaries.reduce((n, y) => n + y.origPackets + y.respPackets, 0), 3000);
  sameAsTshark('nonsense', frames.slice(0, 1500));
});

test('RST storm on one tuple: counted, one stream, no growth', () => {
  const frames: Frame[] = [];
  for (let i = 0; i < 20000; i++) frames.push({ ts: i * 1e-5, data: s({ seq: i * 7919, ack: i, flags: i & 1 ? 'R' : 'RA', win: 0 }) });
  const { engine, summaries } = run(frames);
  assert.equal(engine.stats.tcpStreams, 1);
  assert.equal(summaries[0].origPackets + summaries[0].respPackets, 20000);
  assert.equal(summaries[0].rsts.length, 8, 'RST evidence is capped');
  assert.equal(engine.segments.live, 0);
});

test('SYN flood of 100k spoofed sources: every tuple a stream, idle ones released, memory bounded', () => {
  const engine = new FlowEngine({ idleTimeout: 2, maxTombstones: 20000 });
  let released = 0;
  const e2 = new FlowEngine({ idleTimeout: 2, maxTombstones: 20000, onSummary: () => released++ });
  const before = heapMB();
  for (let i = 0; i < 100000; i++) {
    const f = tcpFrame({ src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, dst: S, sport: 1024 + (i % 60000), dport: 80, seq: i * 13, flags: 'S' });
    const r = record(f, i * 0.0001);
    engine.record(r);
    e2.record(r);
  }
  const grown = heapMB() - before;
  engine.finish();
  e2.finish();
  assert.equal(engine.stats.tcpStreams, 100000);
  // 2 s idle timeout at 10,000 SYN/s, checked once a second: at most ~30,000 live at once.
  assert.ok(engine.stats.peakLiveTcp <= 30000, `peak live ${engine.stats.peakLiveTcp}`);
  assert.ok(engine.stats.tombstones <= 20000);
  assert.equal(released, 100000);
  // Two engines, each with at most ~30k live connections (under 2 KB each) and 20k tombstones (160 B).
  assert.ok(grown < 130, `heap grew ${grown.toFixed(0)} MB`);
});

test('100k concurrent connections, then all closed and released after the linger time', () => {
  let summaries = 0;
  const engine = new FlowEngine({ closedTimeout: 1, onSummary: () => summaries++ });
  const N = 100000;
  const tuple = (i: number) => ({ src: `10.9.${i >> 8 & 255}.${i & 255}`, dst: S, sport: 2000 + (i >> 16), dport: 443 });
  let t = 0;
  for (let i = 0; i < N; i++) engine.record(record(tcpFrame({ ...tuple(i), seq: 1, flags: 'S' }), (t += 1e-6)));
  for (let i = 0; i < N; i++) engine.record(record(tcpFrame({ ...tuple(i), seq: 2, ack: 1, flags: 'RA' }), (t += 1e-6)));
  assert.equal(engine.stats.peakLiveTcp, N);
  engine.record(record(udpFrame(C, S, 1, 2), t + 5)); // time passes: closed connections expire
  assert.equal(engine.stats.liveTcp, 0);
  assert.equal(summaries, N);
  // A late packet on a released tuple keeps its stream number.
  engine.record(record(tcpFrame({ ...tuple(5), seq: 2, ack: 1, flags: 'A' }), t + 6));
  assert.equal(engine.tcpNote.stream, 5);
  assert.equal(engine.stats.revived, 1);
});

test('tombstones are bounded: the oldest released tuples are forgotten first', () => {
  const engine = new FlowEngine({ idleTimeout: 1, maxTombstones: 100 });
  for (let i = 0; i < 1000; i++) engine.record(record(c({ sport: 1000 + i, seq: 1, flags: 'S' }), i * 0.01));
  engine.record(record(udpFrame(C, S, 1, 2), 100));
  assert.ok(engine.stats.tombstones <= 100);
  assert.equal(engine.stats.liveTcp, 0);
});
