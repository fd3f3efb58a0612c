import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Decoder } from '../decode/decoder.js';
import { noTshark } from '../testing/tshark.js';
import { compareWithTshark, decodeBytes, decodeFile, fuzzFrames, mismatchText, tcpFrame, udpFrame, values } from './_compare.js';
import { Lab, missing, noLab } from './_lab.js';
import { appStates } from './conversation-state.js';
import { MAX_TRANSACTIONS, readName } from './dns.js';
import './index.js';

const C = '10.0.0.1';
const S = '10.0.0.2';

function name(n: string): number[] {
  return [...n.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];
}
const query = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1, ...name('db.example'), 0, 1, 0, 1, 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
const nxdomain = Buffer.from([0x12, 0x34, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0, ...name('db.example'), 0, 1, 0, 1]);
const answer = Buffer.from([0x12, 0x35, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0, ...name('www.example'), 0, 1, 0, 1,
  0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 5, 2, 0x64, 0x62, 0xc0, 16, // www.example CNAME db.example (pointer to "example")
  0xc0, 41, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 9]);

test('DNS query, NXDOMAIN answer and the summary; EDNS OPT record', () => {
  const d = new Decoder();
  const q = decodeBytes(d, udpFrame(query, C, 5353, S, 53)).tree;
  assert.deepEqual(values(q, 'dns.qry.name'), ['db.example']);
  assert.deepEqual(values(q, 'dns.rr.udp_payload_size'), [1232]);
  const r = decodeBytes(d, udpFrame(nxdomain, S, 53, C, 5353)).tree;
  assert.deepEqual(values(r, 'dns.flags.rcode'), [3]);
  assert.equal([...appStates(d)][0].summary, 'dns: NXDOMAIN for db.example');
});

test('DNS compressed names: CNAME then A through pointers', () => {
  const d = new Decoder();
  const { tree, p } = decodeBytes(d, udpFrame(answer, S, 53, C, 5354));
  assert.equal(p.malformed, null);
  assert.deepEqual(values(tree, 'dns.cname'), ['db.example']);
  assert.deepEqual(values(tree, 'dns.resp.name'), ['www.example', 'db.example']);
  assert.deepEqual(values(tree, 'dns.a'), [0x0a000009]);
  assert.equal([...appStates(d)][0].summary, 'dns: www.example A: CNAME db.example (+1 more)');
});

test('DNS compression loops and out-of-bounds pointers are malformed, never followed forever', () => {
  const loop = Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
  assert.match(readName(loop, 0, 12, loop.length).error, /loop/);
  const twoStep = Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0xc0, 16, 1, 0x62, 0xc0, 12]);
  assert.match(readName(twoStep, 0, 12, twoStep.length).error, /loop/);
  const out = Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc1, 0, 0, 1, 0, 1]);
  assert.match(readName(out, 0, 12, out.length).error, /outside/);
  const { p } = decodeBytes(new Decoder(), udpFrame(loop, S, 53, C, 5355));
  assert.match(p.malformed ?? '', /loop/);
});

test('DNS over TCP: 2-byte length prefix, two messages in one segment, a cut message', () => {
  const framed = (m: Buffer) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 255]), m]);
  const d = new Decoder();
  const two = decodeBytes(d, tcpFrame(Buffer.concat([framed(query), framed(nxdomain)]), C, 45000, S, 53)).tree;
  assert.deepEqual(values(two, 'dns.length'), [query.length, nxdomain.length]);
  const cut = decodeBytes(d, tcpFrame(framed(query).subarray(0, 10), C, 45001, S, 53));
  assert.equal(cut.p.malformed, null);
  assert.deepEqual(values(cut.tree, 'dns.needs_reassembly'), [query.length + 2]);
});

test('DNS matching stays bounded: past MAX_TRANSACTIONS unanswered IDs in one conversation the oldest are forgotten', () => {
  const d = new Decoder();
  const q = (id: number) => Buffer.from([id >> 8, id & 255, ...query.subarray(2)]);
  const r = (id: number) => Buffer.from([id >> 8, id & 255, ...nxdomain.subarray(2)]);
  const first = decodeBytes(d, udpFrame(q(0), C, 5360, S, 53)).p.number;
  for (let id = 1; id <= MAX_TRANSACTIONS; id++) decodeBytes(d, udpFrame(q(id), C, 5360, S, 53));
  const forgotten = decodeBytes(d, udpFrame(r(0), S, 53, C, 5360)).tree;
  assert.deepEqual(values(forgotten, 'dns.response_to'), []);
  assert.deepEqual(values(forgotten, 'dns.unsolicited'), [true]);
  const kept = decodeBytes(d, udpFrame(r(1), S, 53, C, 5360)).tree;
  assert.deepEqual(values(kept, 'dns.response_to'), [first + 1]);
  // The same response again is a retransmission of the first.
  const again = decodeBytes(d, udpFrame(r(1), S, 53, C, 5360)).tree;
  assert.deepEqual(values(again, 'dns.retransmit_response_in'), [first + MAX_TRANSACTIONS + 2]);
});

test('DNS fuzz', () => {
  assert.ok(fuzzFrames([udpFrame(query, C, 5353, S, 53), udpFrame(answer, S, 53, C, 5354), udpFrame(nxdomain, S, 53, C, 5353)], 400) > 1000);
});

const skipReal = noLab || noTshark || missing('dnsmasq');

test('real dnsmasq answering a real resolver (c-ares) over UDP and a TCP query: fields as tshark', { skip: skipReal, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-dns-'));
  const lab = await Lab.create('wsdn');
  try {
    const server = lab.start(lab.serverNs, 'dnsmasq', [
      '--no-daemon', '--no-resolv', '--no-hosts', '--log-queries', `--listen-address=${lab.serverIp}`, '--bind-interfaces', '--port=53',
      '--local=/lab/', '--host-record=db.lab,10.251.9.9', '--cname=www.lab,db.lab', '--txt-record=txt.lab,"hello world"',
      '--mx-host=lab,mail.lab,10', '--srv-host=_mysql._tcp.lab,db.lab,3306', '--pid-file=' + join(dir, 'pid'),
    ]);
    await Lab.waitFor(server, /started, version/);
    const file = join(dir, 'dns.pcap');
    const stop = await lab.capture(file);
    const script = `
      const dns = require('node:dns'); const net = require('node:net');
      const r = new dns.Resolver({ timeout: 2000, tries: 1 }); r.setServers(['${lab.serverIp}']);
      const p = (f, ...a) => new Promise((res) => r[f](...a, (e, v) => res(e ? e.code : v)));
      (async () => {
        const out = {};
        out.a = await p('resolve4', 'db.lab'); out.cname = await p('resolve4', 'www.lab'); out.txt = await p('resolveTxt', 'txt.lab');
        out.mx = await p('resolveMx', 'lab'); out.srv = await p('resolveSrv', '_mysql._tcp.lab'); out.nx = await p('resolve4', 'nope.lab');
        // One query over TCP (RFC 7766 framing) with an EDNS OPT record (DO bit set).
        const q = Buffer.from([0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 100, 98, 3, 108, 97, 98, 0, 0, 1, 0, 1, 0, 0, 41, 4, 208, 0, 0, 0x80, 0, 0, 0]);
        out.tcp = await new Promise((res) => { const s = net.connect(53, '${lab.serverIp}', () => s.write(Buffer.concat([Buffer.from([0, q.length]), q])));
          s.on('data', (d) => { res(d.length); s.end(); }); s.on('error', (e) => res(e.code)); });
        console.log(JSON.stringify(out));
      })();`;
    const r = await lab.run(lab.clientNs, process.execPath, ['-e', script]);
    await stop();
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
    t.diagnostic(`resolver: ${JSON.stringify(out)}`);
    assert.deepEqual(out.a, ['10.251.9.9']);
    assert.equal(out.nx, 'ENOTFOUND');

    const fields = [
      'dns.length', 'dns.id', 'dns.flags', 'dns.flags.response', 'dns.flags.opcode', 'dns.flags.authoritative', 'dns.flags.truncated',
      'dns.flags.recdesired', 'dns.flags.recavail', 'dns.flags.z', 'dns.flags.authenticated', 'dns.flags.checkdisable', 'dns.flags.rcode',
      'dns.count.queries', 'dns.count.answers', 'dns.count.auth_rr', 'dns.count.add_rr', 'dns.qry.name', 'dns.qry.name.len', 'dns.count.labels',
      'dns.qry.type', 'dns.qry.class', 'dns.resp.name', 'dns.resp.type', 'dns.resp.class', 'dns.resp.ttl', 'dns.resp.len', 'dns.a', 'dns.cname',
      'dns.txt', 'dns.txt.length', 'dns.mx.preference', 'dns.mx.mail_exchange', 'dns.srv.priority', 'dns.srv.weight', 'dns.srv.port',
      'dns.srv.target', 'dns.srv.service', 'dns.srv.proto', 'dns.srv.name', 'dns.soa.mname', 'dns.soa.rname', 'dns.soa.serial_number', 'dns.soa.minimum_ttl', 'dns.rr.udp_payload_size',
      'dns.resp.ext_rcode', 'dns.resp.edns0_version', 'dns.resp.z', 'dns.resp.z.do', 'dns.opt.code', 'dns.opt.len',
      'dns.response_to', 'dns.time', 'dns.response_in', 'dns.retransmission', 'dns.unsolicited', 'dns.opt', 'dns.opt.data',
    ];
    const cmp = compareWithTshark(file, fields);
    t.diagnostic(`tshark comparison: ${cmp.frames} frames, cells ${JSON.stringify(cmp.cells)}`);
    assert.deepEqual(cmp.mismatches, [], mismatchText(cmp.mismatches));
    assert.ok((cmp.cells['dns.qry.name'] ?? 0) >= 12);
    assert.ok((cmp.cells['dns.length'] ?? 0) >= 2, 'the TCP query and answer');
    assert.ok((cmp.cells['dns.rr.udp_payload_size'] ?? 0) >= 1, 'EDNS');
    assert.ok((cmp.cells['dns.response_to'] ?? 0) >= 7, 'responses matched with their queries');

    const decoder = await decodeFile(file);
    const summaries = [...appStates(decoder)].map((s) => s.summary ?? '').sort();
    t.diagnostic(`summaries: ${JSON.stringify(summaries)}`);
    assert.ok(summaries.includes('dns: NXDOMAIN for nope.lab'), summaries.join('\n'));
    assert.ok(summaries.includes('dns: db.lab A: A 10.251.9.9'), summaries.join('\n'));
  } finally {
    await lab.close();
    if (!process.env.WIRESAGE_KEEP) rmSync(dir, { recursive: true, force: true });
    else t.diagnostic(`kept ${dir}`);
  }
});
