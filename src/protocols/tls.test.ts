import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Decoder } from '../decode/decoder.js';
import { noTshark } from '../testing/tshark.js';
import { compareWithTshark, decodeBytes, decodeFile, fuzzFrames, mismatchText, tcpFrame, values } from './_compare.js';
import { Lab, missing, noLab } from './_lab.js';
import { appStates } from './conversation-state.js';
import { isRecordHeader, looksLikeClientHello, pduLength } from './tls.js';
import './index.js';

const C = '10.0.0.1';
const S = '10.0.0.2';

function u16(n: number): number[] {
  return [n >> 8, n & 255];
}
function ext(type: number, data: number[]): number[] {
  return [...u16(type), ...u16(data.length), ...data];
}
function record(type: number, body: number[]): Buffer {
  return Buffer.from([type, 3, 3, ...u16(body.length), ...body]);
}
function handshake(type: number, body: number[]): number[] {
  return [type, 0, body.length >> 8, body.length & 255, ...body];
}
const sni = Buffer.from('db.example');
const clientHello = record(22, handshake(1, [
  3, 3, ...new Array(32).fill(7), 0, ...u16(4), 0x13, 0x01, 0x13, 0x02, 1, 0,
  ...u16(0), // extensions length, patched below
]));
function clientHelloWithExtensions(): Buffer {
  const exts = [
    ...ext(0, [...u16(sni.length + 3), 0, ...u16(sni.length), ...sni]),
    ...ext(16, [...u16(3 + 9), 2, 0x68, 0x32, 8, ...Buffer.from('http/1.1')]),
    ...ext(43, [4, 3, 4, 3, 3]),
  ];
  const body = [3, 3, ...new Array(32).fill(7), 0, ...u16(4), 0x13, 0x01, 0x13, 0x02, 1, 0, ...u16(exts.length), ...exts];
  return record(22, handshake(1, body));
}
const serverHello = record(22, handshake(2, [3, 3, ...new Array(32).fill(9), 0, 0x13, 0x02, 0, ...u16(6), ...ext(43, [3, 4])]));
const alert = record(21, [2, 40]);

test('TLS ClientHello (SNI, ALPN, versions, suites), ServerHello 1.3, fatal alert and the summary', () => {
  const d = new Decoder();
  const ch = decodeBytes(d, tcpFrame(clientHelloWithExtensions(), C, 46000, S, 443)).tree;
  assert.deepEqual(values(ch, 'tls.handshake.extensions_server_name'), ['db.example']);
  assert.deepEqual(values(ch, 'tls.handshake.extensions_alpn_str'), ['h2', 'http/1.1']);
  assert.deepEqual(values(ch, 'tls.handshake.extensions.supported_version'), [0x0304, 0x0303]);
  assert.deepEqual(values(ch, 'tls.handshake.ciphersuite'), [0x1301, 0x1302]);
  const sh = decodeBytes(d, tcpFrame(serverHello, S, 443, C, 46000)).tree;
  assert.deepEqual(values(sh, 'tls.handshake.extensions.supported_version'), [0x0304]);
  assert.equal([...appStates(d)][0].summary, 'tls: TLSv1.3 TLS_AES_256_GCM_SHA384 SNI db.example');
  const app = decodeBytes(d, tcpFrame(record(23, [1, 2, 3, 4]), S, 443, C, 46000)).tree;
  assert.deepEqual(values(app, 'tls.record.opaque_type'), [23]);
  const d2 = new Decoder();
  decodeBytes(d2, tcpFrame(clientHelloWithExtensions(), C, 46001, S, 443));
  const al = decodeBytes(d2, tcpFrame(alert, S, 443, C, 46001)).tree;
  assert.deepEqual(values(al, 'tls.alert_message.desc'), [40]);
  assert.equal([...appStates(d2)][0].summary, 'tls: alert handshake_failure from server (SNI db.example)');
});

test('TLS framing: records across segments, continuation, heuristic on any port', () => {
  const ch = clientHelloWithExtensions();
  assert.equal(pduLength(ch, 0, 4), undefined);
  assert.equal(pduLength(ch, 0, 5), ch.length);
  assert.ok(isRecordHeader(ch, 0, ch.length));
  assert.ok(looksLikeClientHello(ch, 0, ch.length));
  assert.ok(!looksLikeClientHello(clientHello.subarray(0, 8), 0, 8));
  const d = new Decoder();
  const cut = decodeBytes(d, tcpFrame(ch.subarray(0, 30), C, 46002, S, 443));
  assert.equal(cut.p.malformed, null);
  assert.deepEqual(values(cut.tree, 'tls.needs_reassembly'), [ch.length]);
  const mid = decodeBytes(d, tcpFrame(Buffer.from([0x8f, 0x11, 0x22, 0x33, 0x44, 0x55]), S, 443, C, 46002));
  assert.equal(mid.p.malformed, null);
  assert.equal(values(mid.tree, 'tls.continuation').length, 1);
  const odd = decodeBytes(new Decoder(), tcpFrame(ch, C, 46003, S, 4433)).tree;
  assert.deepEqual(values(odd, 'tls.handshake.extensions_server_name'), ['db.example']);
  const two = decodeBytes(d, tcpFrame(Buffer.concat([record(23, [1]), record(23, [2])]), S, 443, C, 46004)).tree;
  assert.equal(values(two, 'tls.app_data').length, 2);
});

test('TLS fuzz', () => {
  const frames = [tcpFrame(clientHelloWithExtensions(), C, 46000, S, 443), tcpFrame(serverHello, S, 443, C, 46000), tcpFrame(alert, S, 443, C, 46000)];
  assert.ok(fuzzFrames(frames) > 1000);
});

const skipReal = noLab || noTshark || missing('openssl');

test('real openssl s_server/s_client: TLS 1.3 and 1.2 handshakes with SNI/ALPN, a failing handshake; fields as tshark', { skip: skipReal, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-tls-'));
  const lab = await Lab.create('wstl');
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=db.lab', '-days', '2'], { encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    const good = lab.start(lab.serverNs, 'openssl', ['s_server', '-accept', `${lab.serverIp}:443`, '-cert', cert, '-key', key, '-alpn', 'h2,http/1.1', '-quiet']);
    const strict = lab.start(lab.serverNs, 'openssl', ['s_server', '-accept', `${lab.serverIp}:8443`, '-cert', cert, '-key', key, '-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256', '-quiet']);
    await lab.waitPort(lab.serverIp, 443);
    await lab.waitPort(lab.serverIp, 8443);
    void good;
    void strict;
    const file = join(dir, 'tls.pcap');
    const stop = await lab.capture(file);
    const client = (...args: string[]) => lab.run(lab.clientNs, 'openssl', ['s_client', '-servername', 'db.lab', ...args], { timeoutMs: 15_000 });
    const t13 = await client('-connect', `${lab.serverIp}:443`, '-alpn', 'h2', '-tls1_3');
    const t12 = await client('-connect', `${lab.serverIp}:443`, '-tls1_2');
    const fail = await client('-connect', `${lab.serverIp}:8443`, '-tls1_2', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384');
    await stop();
    assert.match(t13.stdout, /TLSv1\.3/);
    assert.match(t12.stdout, /TLSv1\.2/);
    assert.match(fail.stderr + fail.stdout, /handshake failure|alert/i);

    const fields = [
      'tls.record.content_type', 'tls.record.opaque_type', 'tls.record.version', 'tls.record.length', 'tls.handshake.type', 'tls.handshake.length',
      'tls.handshake.version', 'tls.handshake.random', 'tls.handshake.session_id_length', 'tls.handshake.session_id', 'tls.handshake.cipher_suites_length',
      'tls.handshake.ciphersuite', 'tls.handshake.comp_methods_length', 'tls.handshake.comp_method', 'tls.handshake.extensions_length',
      'tls.handshake.extension.type', 'tls.handshake.extension.len', 'tls.handshake.extensions_server_name_list_len',
      'tls.handshake.extensions_server_name_type', 'tls.handshake.extensions_server_name_len', 'tls.handshake.extensions_server_name',
      'tls.handshake.extensions_alpn_len', 'tls.handshake.extensions_alpn_str_len', 'tls.handshake.extensions_alpn_str',
      'tls.handshake.extensions.supported_versions_len', 'tls.handshake.extensions.supported_version', 'tls.handshake.certificates_length',
      'tls.handshake.certificate_length', 'tls.alert_message.level', 'tls.alert_message.desc', 'tls.app_data',
    ];
    const cmp = compareWithTshark(file, fields, ['tcp.port==8443,tls'], 'tls');
    t.diagnostic(`tshark comparison: ${cmp.frames} frames, cells ${JSON.stringify(cmp.cells)}`);
    t.diagnostic(`pending reassembly: ${new Set(cmp.pendingReassembly.map((m) => m.frame)).size} frames, ${cmp.pendingReassembly.length} cells`);
    assert.deepEqual(cmp.mismatches, [], mismatchText(cmp.mismatches));
    assert.ok((cmp.cells['tls.handshake.extensions_server_name'] ?? 0) >= 3);
    assert.ok((cmp.cells['tls.alert_message.desc'] ?? 0) >= 1);

    const decoder = await decodeFile(file, undefined);
    const summaries = [...appStates(decoder)].map((s) => s.summary ?? '').sort();
    t.diagnostic(`summaries: ${JSON.stringify(summaries)}`);
    assert.ok(summaries.includes('tls: alert handshake_failure from server (SNI db.lab)'), summaries.join('\n'));
    assert.ok(summaries.some((s) => /^tls: TLSv1\.3 TLS_AES_256_GCM_SHA384 SNI db\.lab$/.test(s)), summaries.join('\n'));
    assert.ok(summaries.some((s) => /^tls: TLSv1\.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 SNI db\.lab$/.test(s)), summaries.join('\n'));
  } finally {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
