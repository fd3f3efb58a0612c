import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Decoder } from '../decode/decoder.js';
import { noTshark } from '../testing/tshark.js';
import { compareWithTshark, decodeBytes, decodeFile, fuzzFrames, mismatchText, tcpFrame, values } from './_compare.js';
import { Lab, missing, noLab } from './_lab.js';
import { appStates } from './conversation-state.js';
import { pduLength } from './http.js';
import './index.js';

const C = '10.0.0.1';
const S = '10.0.0.2';
const get = Buffer.from('GET /a HTTP/1.1\r\nHost: shop\r\nAuthorization: Basic YXBwOnNlY3JldA==\r\n\r\n');
const ok = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello');
const chunked = Buffer.from('HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');

test('HTTP request (Authorization masked), response with Content-Length, chunked 503 and the summary', () => {
  const d = new Decoder();
  const r = decodeBytes(d, tcpFrame(get, C, 44000, S, 80)).tree;
  assert.deepEqual(values(r, 'http.request.method'), ['GET']);
  assert.deepEqual(values(r, 'http.host'), ['shop']);
  assert.deepEqual(values(r, 'http.authorization'), ['Basic ********']);
  assert.ok(!JSON.stringify(values(r, 'http.request.line')).includes('YXBw'));
  assert.deepEqual(values(r, 'http.request.full_uri'), ['http://shop/a']);
  const a = decodeBytes(d, tcpFrame(ok, S, 80, C, 44000)).tree;
  assert.deepEqual(values(a, 'http.response.code'), [200]);
  assert.deepEqual(values(a, 'http.file_data'), ['hello']);
  decodeBytes(d, tcpFrame(get, C, 44000, S, 80));
  const c = decodeBytes(d, tcpFrame(chunked, S, 80, C, 44000)).tree;
  assert.deepEqual(values(c, 'http.chunk_size'), [3, 2, 0]);
  assert.deepEqual(values(c, 'http.file_data'), ['abcde']);
  assert.equal([...appStates(d)][0].summary, 'http: GET /a → 503 Service Unavailable');
});

test('HTTP framing: pipelined requests, body continuation, a cut body', () => {
  assert.equal(pduLength(ok, 0, ok.length), ok.length);
  assert.equal(pduLength(ok, 0, 20), undefined);
  assert.equal(pduLength(chunked, 0, chunked.length - 3), undefined);
  const d = new Decoder();
  const two = decodeBytes(d, tcpFrame(Buffer.concat([get, get]), C, 44001, S, 8080)).tree;
  assert.deepEqual(values(two, 'http.request.method'), ['GET', 'GET']);
  const cut = decodeBytes(d, tcpFrame(ok.subarray(0, ok.length - 2), S, 8080, C, 44001));
  assert.equal(cut.p.malformed, null);
  assert.deepEqual(values(cut.tree, 'http.needs_reassembly'), [ok.length]);
  const body = decodeBytes(d, tcpFrame(Buffer.from('lo more body bytes'), S, 8080, C, 44001)).tree;
  assert.equal(values(body, 'http.continuation').length, 1);
});

test('HTTP fuzz', () => {
  assert.ok(fuzzFrames([tcpFrame(get, C, 44000, S, 80), tcpFrame(ok, S, 80, C, 44000), tcpFrame(chunked, S, 80, C, 44000)]) > 1000);
});

const skipReal = noLab || noTshark || missing('curl');

test('real curl against a real HTTP server (node:http): Content-Length, chunked, 404, HEAD, pipelining; fields as tshark', { skip: skipReal, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-http-'));
  const lab = await Lab.create('wsht');
  try {
    const serverJs = join(dir, 'server.cjs');
    writeFileSync(serverJs, `
      require('node:http').createServer((req, res) => {
        if (req.url === '/chunked') { res.setHeader('Content-Type', 'text/plain'); res.write('part one,'); setTimeout(() => res.end('part two'), 10); return; }
        if (req.url === '/missing') { res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 9 }); res.end('not found'); return; }
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 6, Server: 'lab' }); res.end(req.method === 'HEAD' ? undefined : 'hello\\n');
      }).listen(80, '${lab.serverIp}', () => console.log('listening'));`);
    const server = lab.start(lab.serverNs, process.execPath, [serverJs]);
    await Lab.waitFor(server, 'listening');
    const file = join(dir, 'http.pcap');
    const stop = await lab.capture(file);
    const base = `http://${lab.serverIp}`;
    const r1 = await lab.run(lab.clientNs, 'curl', ['-s', '-o', '/dev/null', '-o', '/dev/null', '-o', '/dev/null', '-w', '%{http_code} ', `${base}/`, `${base}/chunked`, `${base}/missing`, '-u', 'app:secret']);
    const r2 = await lab.run(lab.clientNs, 'curl', ['-s', '-I', `${base}/head`]);
    // Two requests in one write: pipelining, answered in order.
    const r3 = await lab.run(lab.clientNs, process.execPath, ['-e', `
      const s = require('node:net').connect(80, '${lab.serverIp}', () => s.write('GET /p1 HTTP/1.1\\r\\nHost: lab\\r\\n\\r\\nGET /p2 HTTP/1.1\\r\\nHost: lab\\r\\nConnection: close\\r\\n\\r\\n'));
      let n = 0; s.on('data', (d) => { n += d.length; }); s.on('end', () => console.log(n));`]);
    await stop();
    assert.equal(r1.stdout.trim(), '200 200 404', r1.stderr);
    assert.match(r2.stdout, /200 OK/);
    assert.ok(Number(r3.stdout) > 0);

    const fields = [
      'http.request.method', 'http.request.uri', 'http.request.version', 'http.request.line', 'http.response.version', 'http.response.code',
      'http.response.code.desc', 'http.response.phrase', 'http.response.line', 'http.host', 'http.user_agent', 'http.accept', 'http.content_length_header',
      'http.content_length', 'http.content_type', 'http.transfer_encoding', 'http.connection', 'http.server', 'http.request.full_uri', 'http.chunk_size',
      'http.request', 'http.response', 'http.authorization',
    ];
    const cmp = compareWithTshark(file, fields, [], 'http');
    const unexplained = cmp.mismatches.filter((m) => !explained(m.field, m.ours, m.tshark));
    t.diagnostic(`tshark comparison: ${cmp.frames} frames, cells ${JSON.stringify(cmp.cells)}; explained: ${mismatchText(cmp.mismatches.filter((m) => explained(m.field, m.ours, m.tshark)), 6)}`);
    t.diagnostic(`pending reassembly (frames of a response spanning segments): ${new Set(cmp.pendingReassembly.map((m) => m.frame)).size} frames, ${cmp.pendingReassembly.length} cells`);
    assert.deepEqual(unexplained, [], mismatchText(unexplained));
    assert.ok((cmp.cells['http.response.code'] ?? 0) >= 5);

    const decoder = await decodeFile(file);
    const summaries = [...appStates(decoder)].map((s) => s.summary ?? '').sort();
    t.diagnostic(`summaries: ${JSON.stringify(summaries)}`);
    assert.ok(summaries.includes('http: GET /missing → 404 Not Found'), summaries.join('\n'));
    assert.ok(summaries.includes('http: HEAD /head → 200 OK'), summaries.join('\n'));
  } finally {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Authorization credentials are masked by design (tshark shows them). */
function explained(field: string, ours: string, tshark: string): boolean {
  if (field === 'http.authorization') return ours.endsWith('********') && tshark.startsWith(ours.split(' ')[0]);
  if (field === 'http.request.line') return ours.includes('********') && ours.split(',').length === tshark.split(',').length;
  return false;
}
