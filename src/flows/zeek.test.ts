/**
 * `wiresage conv --zeek`: Zeek's conn.log, field by field. Zeek is not in Debian 12, so each
 * field is checked against what its definition says (base/protocols/conn/main.zeek, TCP
 * analyzer): per-direction packet and IP byte counts and payload bytes against tshark on the
 * bundled capture, sequence-number sizes, gaps, the duration rule and unset fields on
 * hand-made connections whose right values follow from the frames.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateCapture, noTshark, repoRoot, tsharkFields, wiresage } from '../testing/tshark.js';
import { tcpFrame, udpFrame, writePcap, type TcpSpec } from './synthetic.js';
import { zeekFields } from './zeek.js';

const dir = mkdtempSync(join(tmpdir(), 'wiresage-zeek-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const example = join(repoRoot, 'examples', 'web-and-dns.pcap');

type Rec = Record<string, string>;

/** The TSV log as records keyed by field name; checks the header lines on the way. */
function tsv(file: string): { header: string[]; recs: Rec[]; footer: string } {
  const lines = wiresage(['conv', file, '--zeek']).stdout.trimEnd().split('\n');
  const header = lines.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
  const footer = lines[lines.length - 1];
  const fields = header.find((l) => l.startsWith('#fields\t'))!.split('\t').slice(1);
  const recs = lines.filter((l) => !l.startsWith('#')).map((l) => {
    const v = l.split('\t');
    assert.equal(v.length, fields.length, `columns of ${l}`);
    return Object.fromEntries(fields.map((f, i) => [f, v[i]]));
  });
  return { header, recs, footer };
}

function json(file: string): Array<Record<string, unknown>> {
  return wiresage(['conv', file, '--zeek', '--json']).stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('conv --zeek: header lines, field names and types, #close, uid form, stable across runs', () => {
  const { header, recs, footer } = tsv(example);
  assert.deepEqual(header.slice(0, 5), ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tconn']);
  assert.match(header[5], /^#open\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
  assert.equal(header[6], `#fields\t${zeekFields.map((f) => f[0]).join('\t')}`);
  assert.equal(header[7], '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]');
  assert.match(footer, /^#close\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
  assert.ok(recs.length >= 7);
  const uids = recs.map((r) => r.uid);
  for (const u of uids) assert.match(u, /^C[0-9A-Za-z]{17}$/);
  assert.equal(new Set(uids).size, uids.length, 'uids are unique');
  assert.deepEqual(tsv(example).recs.map((r) => r.uid), uids, 'same capture, same uids');
  for (const r of recs) {
    assert.equal(r.local_orig, '-', 'no Site::local_nets: unset');
    assert.equal(r.local_resp, '-');
    assert.equal(r.tunnel_parents, '-');
    assert.match(r.ts, /^\d+\.\d{6}$/);
  }
  // Rows in start order, as each connection's first packet came.
  const ts = recs.map((r) => Number(r.ts));
  assert.deepEqual([...ts].sort((a, b) => a - b), ts);
});

for (const [name, make] of [['the bundled capture', () => example], ['a generated capture', () => generateCapture(join(dir, 'gen.pcap'), 4000, 7)]] as const) {
test(`conv --zeek: packets, IP bytes and payload bytes per direction equal tshark on ${name}`, { skip: noTshark }, () => {
  const file = make();
  const rows = tsharkFields(file, ['tcp.stream', 'udp.stream', 'ip.src', 'ip.len', 'ipv6.src', 'ipv6.plen', 'tcp.len', 'udp.length',
    'tcp.analysis.retransmission', 'tcp.analysis.lost_segment', 'tcp.analysis.out_of_order', 'tcp.analysis.keep_alive', 'tcp.analysis.zero_window_probe']);
  interface Dir { pkts: number; ipBytes: number; payload: number }
  const sums = new Map<string, { dirs: Map<string, Dir>; clean: boolean }>();
  for (const [tcp, udp, src4, ip4Len, src6, plen, tcpLen, udpLen, re, lost, ooo, ka, zwp] of rows) {
    const src = src4 || src6;
    const ipLen = src4 ? Number(ip4Len) : Number(plen) + 40;
    if (!src || (!tcp && !udp) || src.includes(',')) continue;
    const key = tcp ? `tcp ${tcp}` : `udp ${udp}`;
    let c = sums.get(key);
    if (!c) sums.set(key, (c = { dirs: new Map(), clean: true }));
    if (re || lost || ooo || ka || zwp) c.clean = false;
    let d = c.dirs.get(src);
    if (!d) c.dirs.set(src, (d = { pkts: 0, ipBytes: 0, payload: 0 }));
    d.pkts++;
    d.ipBytes += ipLen;
    d.payload += tcp ? Number(tcpLen) : Number(udpLen) - 8;
  }
  // Connections by their (proto, originator, responder ports) identity.
  const conv = wiresage(['conv', file, '--json']).stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { stream: number; origAddr: string; origPort: number; respPort: number });
  const udpConv = wiresage(['conv', file, '--udp', '--json']).stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { stream: number; origAddr: string; origPort: number; respPort: number });
  const streamOf = new Map<string, string>();
  for (const c of conv) streamOf.set(`tcp ${c.origAddr} ${c.origPort} ${c.respPort}`, `tcp ${c.stream}`);
  for (const c of udpConv) streamOf.set(`udp ${c.origAddr} ${c.origPort} ${c.respPort}`, `udp ${c.stream}`);
  let checkedBytes = 0;
  for (const r of tsv(file).recs) {
    const key = streamOf.get(`${r.proto} ${r['id.orig_h']} ${r['id.orig_p']} ${r['id.resp_p']}`);
    assert.ok(key, `stream of ${r.uid}`);
    const c = sums.get(key)!;
    const o = c.dirs.get(r['id.orig_h']) ?? { pkts: 0, ipBytes: 0, payload: 0 };
    const s = c.dirs.get(r['id.resp_h']) ?? { pkts: 0, ipBytes: 0, payload: 0 };
    assert.equal(Number(r.orig_pkts), o.pkts, `${key} orig_pkts`);
    assert.equal(Number(r.resp_pkts), s.pkts, `${key} resp_pkts`);
    assert.equal(Number(r.orig_ip_bytes), o.ipBytes, `${key} orig_ip_bytes`);
    assert.equal(Number(r.resp_ip_bytes), s.ipBytes, `${key} resp_ip_bytes`);
    // Payload from sequence numbers equals the bytes sent when nothing was lost or resent.
    if (r.duration !== '-' && c.clean) {
      assert.equal(Number(r.orig_bytes), o.payload, `${key} orig_bytes`);
      assert.equal(Number(r.resp_bytes), s.payload, `${key} resp_bytes`);
      assert.equal(r.missed_bytes, '0');
      checkedBytes++;
    }
  }
  assert.ok(checkedBytes >= 3, `byte counts checked on ${checkedBytes} connections`);
});
}

test('conv --zeek: service from the recognised application protocol; conn_state and history as conv', () => {
  const recs = tsv(example).recs;
  const services = new Set(recs.map((r) => r.service));
  assert.ok(services.has('http') && services.has('dns') && services.has('ssl'), [...services].join(' '));
  for (const r of recs) if (r.service === 'dns') assert.equal(r.proto, 'udp');
  const conv = wiresage(['conv', example, '--json']).stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { origAddr: string; origPort: number; connState: string; history: string });
  for (const c of conv) {
    const r = recs.find((x) => x.proto === 'tcp' && x['id.orig_h'] === c.origAddr && Number(x['id.orig_p']) === c.origPort)!;
    assert.equal(r.conn_state, c.connState);
    assert.equal(r.history, c.history || '-');
  }
  // JSON: the same records, unset fields left out, numbers as numbers.
  const j = json(example);
  assert.equal(j.length, recs.length);
  for (let i = 0; i < j.length; i++) {
    assert.equal(j[i].uid, recs[i].uid);
    assert.equal(j[i]['id.orig_p'], Number(recs[i]['id.orig_p']));
    assert.equal(typeof j[i].ts, 'number');
    assert.ok(!('local_orig' in j[i]) && !('tunnel_parents' in j[i]));
    if (recs[i].duration === '-') assert.ok(!('duration' in j[i]) && !('orig_bytes' in j[i]));
    else assert.ok(Math.abs((j[i].duration as number) - Number(recs[i].duration)) <= 5e-7, 'TSV is the JSON double as %.6f');
  }
});

const C = '10.9.0.1', S = '10.9.0.2';
function seg(ts: number, fromClient: boolean, seq: number, ack: number, flags: string, payload = ''): { ts: number; data: Uint8Array } {
  const spec: TcpSpec = fromClient
    ? { src: C, dst: S, sport: 40000, dport: 8080, seq, ack, flags, payload }
    : { src: S, dst: C, sport: 8080, dport: 40000, seq, ack, flags, payload };
  return { ts, data: tcpFrame(spec) };
}

test('conv --zeek on made connections: sizes from sequence numbers, a gap as missed_bytes, duration without the last ACK', () => {
  const file = join(dir, 'made.pcap');
  const a = 1000, b = 5000; // ISNs
  const x = (n: number) => 'x'.repeat(n);
  writePcap(file, [
    // 1. Handshake, 100 bytes, a retransmission of them, 200 bytes of which 50 never reach the capture, FIN/FIN/ACK.
    seg(1.0, true, a, 0, 'S'),
    seg(1.1, false, b, a + 1, 'SA'),
    seg(1.2, true, a + 1, b + 1, 'A'),
    seg(1.3, true, a + 1, b + 1, 'PA', x(100)),
    seg(1.4, true, a + 1, b + 1, 'PA', x(100)),
    seg(1.5, false, b + 1, a + 101, 'A'),
    seg(1.6, true, a + 151, b + 1, 'PA', x(150)), // a+101..a+150 missing
    seg(1.7, false, b + 1, a + 301, 'PA', x(30)),
    seg(1.8, true, a + 301, b + 31, 'FA'),
    seg(1.9, false, b + 31, a + 302, 'FA'),
    seg(5.0, true, a + 302, b + 32, 'A'), // after both FINs: not in the duration
    // 2. A lone SYN: no duration, no byte counts.
    { ts: 2.0, data: tcpFrame({ src: C, dst: S, sport: 40001, dport: 8080, seq: 77, flags: 'S' }) },
    // 3. Midstream (no SYN): sizes counted as if a SYN had been there.
    { ts: 2.5, data: tcpFrame({ src: C, dst: S, sport: 40002, dport: 8080, seq: 9000, ack: 3000, flags: 'PA', payload: x(40) }) },
    { ts: 2.6, data: tcpFrame({ src: S, dst: C, sport: 8080, dport: 40002, seq: 3000, ack: 9040, flags: 'PA', payload: x(10) }) },
    // 4. UDP both ways.
    { ts: 3.0, data: udpFrame(C, S, 5353, 53, x(20)) },
    { ts: 3.25, data: udpFrame(S, C, 53, 5353, x(60)) },
  ]);
  const recs = tsv(file).recs;
  assert.equal(recs.length, 4);
  const [full, syn, mid, udp] = recs;
  assert.equal(full.conn_state, 'SF');
  assert.equal(full.orig_bytes, '300', 'payload span by sequence numbers, resent bytes once, lost bytes included');
  assert.equal(full.resp_bytes, '30');
  assert.equal(full.missed_bytes, '50');
  assert.equal(full.duration, '0.900000', 'first SYN to the second FIN; the final ACK after both FINs does not count');
  assert.equal(full.orig_pkts, '7');
  assert.equal(full.resp_pkts, '4');
  assert.equal(full.orig_ip_bytes, String(7 * 40 + 350), 'IP total lengths: 20 + 20 per header plus payloads');
  assert.equal(full.resp_ip_bytes, String(4 * 40 + 30));
  assert.match(full.history, /^ShAD/);
  assert.equal(syn.conn_state, 'S0');
  assert.equal(syn.duration, '-');
  assert.equal(syn.orig_bytes, '-');
  assert.equal(syn.resp_bytes, '-');
  assert.equal(syn.history, 'S');
  assert.equal(syn.service, '-');
  assert.equal(mid.conn_state, 'OTH');
  assert.equal(mid.orig_bytes, '40');
  assert.equal(mid.resp_bytes, '10');
  assert.equal(mid.duration, '0.100000');
  assert.equal(udp.proto, 'udp');
  assert.equal(udp.conn_state, 'SF');
  assert.equal(udp.orig_bytes, '20');
  assert.equal(udp.resp_bytes, '60');
  assert.equal(udp.duration, '0.250000');
  assert.equal(udp.history, 'Dd');
  assert.equal(udp.orig_ip_bytes, String(28 + 20));
  // --zeek takes no conversation kind or filter.
  assert.equal(wiresage(['conv', file, '--zeek', '--udp'], { allowFail: true }).status, 2);
});
