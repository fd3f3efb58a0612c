/**
 * Packet-list columns (`_ws.col.*`) against tshark 4.0, frame by frame: the bundled examples and
 * a generated capture must agree everywhere; tcpdump's corpus is compared per protocol, every
 * difference explained (src/testing/column-differences.ts); real HTTP and TLS sessions captured
 * in a test network must agree everywhere. Plus the column machinery itself: Wireshark's fence
 * rules, and no cost when no column is asked for.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { lookupField } from '../fields/field.js';
import { FieldSink, TreeSink } from '../fields/sink.js';
import { openCapture } from '../file/open.js';
import { FlowEngine } from '../flows/index.js';
import { Lab, missing, noLab } from '../protocols/_lab.js';
import { protocolIdOf } from '../cli/read.js';
import { formatColumnTally, newColumnTally, readColumns, tallyColumns, totals, type ColumnTally } from '../testing/column-compare.js';
import { columnDifference } from '../testing/column-differences.js';
import { planCorpus, wiresageProtocols } from '../testing/differential.js';
import { corpusDir, generateCapture, noTshark, repoRoot } from '../testing/tshark.js';
import { Columns, packetColumns } from './columns.js';
import { Decoder, dissectTree } from './decoder.js';
import { tcp } from './tcp.js';

const work = mkdtempSync(join(tmpdir(), 'wiresage-columns-'));
after(() => rmSync(work, { recursive: true, force: true }));

function report(t: TestContext, tally: ColumnTally, title: string): void {
  for (const line of formatColumnTally(tally, title)) t.diagnostic(line);
}

function assertNoUnexplained(tally: ColumnTally, title: string): void {
  assert.deepEqual(tally.errors, [], `${title}: a tool failed`);
  const all = totals(tally);
  assert.ok(all.frames > 0, `${title}: no frame compared`);
  const examples = [...tally.byProtocol.values()].flatMap((p) => p.examples);
  assert.equal(all.unexplained, 0, `${title}: ${all.unexplained} frames differ from tshark, e.g.\n${examples.slice(0, 12).join('\n')}`);
}

describe('Columns: Wireshark column utilities', () => {
  it('set/clear replace only what follows the fence; prependFence keeps analysis tags before later text', () => {
    const c = new Columns();
    c.set('43210 → 80 [SYN]');
    c.prependFence('[TCP Retransmission] ');
    c.set('GET / HTTP/1.1 ');
    assert.equal(c.info, '[TCP Retransmission] GET / HTTP/1.1 ');
    c.clear();
    assert.equal(c.info, '[TCP Retransmission] ');
    // col_append_sep_str looks at the whole text, fenced part included (tshark prints
    // `[TCP Fast Retransmission] , Application Data`).
    c.appendSep(', ', 'Client Hello');
    c.appendSep(', ', 'Application Data');
    assert.equal(c.info, '[TCP Retransmission] , Client Hello, Application Data');
  });

  it('a read-only column ignores writes; quiet() hides a layer\'s malformed mark', () => {
    const c = new Columns();
    c.setProtocol('PIMv2');
    c.writable = false;
    c.setProtocol('IPv4');
    c.set('x');
    assert.equal(c.protocol, 'PIMv2');
    assert.equal(c.info, '');
    c.quiet(3);
    assert.equal(c.showsMalformed(3), false);
    assert.equal(c.showsMalformed(2), true);
    c.quiet(4, true);
    assert.equal(c.showsMalformed(9), false);
  });
});

describe('columns are computed only when asked', () => {
  it('a field list without _ws.col fields, and the detail tree, never call an info hook', async () => {
    const original = tcp.info;
    let calls = 0;
    tcp.info = (p, layer, col) => {
      calls++;
      original?.(p, layer, col);
    };
    try {
      const count = async (names: string[], tree: boolean) => {
        calls = 0;
        const fields = names.map((n) => lookupField(n)!);
        const sink = new FieldSink(fields, protocolIdOf);
        sink.needProtocol(0);
        const decoder = new Decoder();
        const flows = new FlowEngine({ packetExperts: true });
        flows.attach(decoder);
        const reader = await openCapture(join(repoRoot, 'examples/seed-case-b-tns-redirect-blocked.pcap'));
        const infos: string[] = [];
        try {
          await reader.forEach((r) => {
            const p = decoder.decode(r);
            flows.packet(p);
            if (tree) {
              const t = new TreeSink();
              dissectTree(p, t);
              assert.ok(!JSON.stringify(t.roots.map((n) => n.field.name)).includes('_ws.col'));
            } else {
              sink.reset();
              dissectTree(p, sink);
              if (sink.values[0].length) infos.push(String(sink.values[0][0]));
            }
          });
        } finally {
          reader.close();
        }
        return { calls, infos };
      };
      assert.equal((await count(['ip.src', 'tcp.seq'], false)).calls, 0);
      assert.equal((await count([], true)).calls, 0);
      const asked = await count(['_ws.col.Info'], false);
      assert.ok(asked.calls >= 10, `TCP hook called ${asked.calls} times`);
      assert.ok(asked.infos.includes('48272 → 1521 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=877589832 TSecr=0 WS=1024'), asked.infos.join('\n'));
    } finally {
      tcp.info = original;
    }
  });

  it('packetColumns of an undecoded layer stack is empty, never a throw', () => {
    const d = new Decoder();
    const iface = { id: 0, linkType: 1, snapLen: 0, tsResolution: 1e6, tsOffset: 0, comments: [] };
    for (let len = 0; len < 60; len++) {
      const p = d.decode({ iface, tsSec: 1, tsNsec: 0, capLen: len, origLen: 60, data: new Uint8Array(len).fill(0x45), comments: [], offset: 0 });
      const c = packetColumns(p);
      assert.equal(typeof c.info, 'string');
    }
  });
});

describe('packet-list columns vs tshark (-T fields -e _ws.col.*)', { skip: noTshark }, () => {
  let dissected: Set<string>;
  const compare = async (files: string[], decodeAs: string[] = []) => {
    dissected ??= await wiresageProtocols();
    const tally = newColumnTally();
    for (const f of files) {
      const { rows, errors } = await readColumns(f, decodeAs);
      tally.errors.push(...errors);
      tallyColumns(tally, rows, dissected, f.split('/').pop()!, (r) => columnDifference(r) !== undefined);
    }
    return tally;
  };

  it('examples/*.pcap: every frame as tshark shows it', async (t) => {
    const dir = join(repoRoot, 'examples');
    const files = readdirSync(dir).filter((n) => n.endsWith('.pcap')).map((n) => join(dir, n));
    const tally = await compare(files);
    report(t, tally, 'examples');
    assertNoUnexplained(tally, 'examples');
    assert.equal(totals(tally).explained, 0, 'the examples need no known difference');
    assert.equal(totals(tally).addressesAgreed, totals(tally).frames, 'Source/Destination');
  });

  it('a generated capture (TCP, TLS, HTTP, DNS): every frame as tshark shows it', async (t) => {
    const file = generateCapture(join(work, 'generated.pcap'), 3000, 11);
    const tally = await compare([file]);
    report(t, tally, 'generated');
    assertNoUnexplained(tally, 'generated');
    assert.equal(totals(tally).explained, 0);
  });

  it('tcpdump corpus: agreement per protocol, every difference explained', { skip: !statSync(corpusDir, { throwIfNoEntry: false }) && `no corpus at ${corpusDir}` }, async (t) => {
    const names = readdirSync(corpusDir).filter((n) => /\.(pcap|pcapng|cap)(\.gz)?$/i.test(n) && statSync(join(corpusDir, n)).isFile()).sort();
    const plan = await planCorpus(corpusDir, names, work, 4);
    dissected ??= await wiresageProtocols();
    const tally = newColumnTally();
    for (const b of plan.batches) {
      const { rows, errors } = await readColumns(b.input.file);
      tally.errors.push(...errors);
      const origin = (n: number) => {
        const o = b.input.origin!(n);
        return `${o.file} frame ${o.frame}`;
      };
      tallyColumns(tally, rows, dissected, b.input.label, (r) => columnDifference(r) !== undefined, origin);
    }
    for (const d of plan.direct) {
      const { rows, errors } = await readColumns(d.input.file);
      tally.errors.push(...errors);
      tallyColumns(tally, rows, dissected, d.name, (r) => columnDifference(r) !== undefined);
    }
    report(t, tally, 'corpus');
    assertNoUnexplained(tally, 'corpus');
    const all = totals(tally);
    assert.ok(all.frames >= 4000, `only ${all.frames} comparable corpus frames`);
    // The known differences stay the exception: nine frames in ten agree exactly.
    assert.ok(all.agreed / all.frames >= 0.9, `${all.agreed}/${all.frames} agree`);
    for (const proto of ['ARP', 'TCP', 'UDP', 'ICMP', 'ICMPv6', 'IPv4', 'PIMv2']) {
      const p = tally.byProtocol.get(proto);
      assert.ok(p && p.agreed / p.frames >= 0.9, `${proto}: ${p?.agreed}/${p?.frames} agree`);
    }
  });

  const labSkip = noLab || missing('curl', 'openssl');
  it('real HTTP and TLS sessions in a test network: every frame as tshark shows it', { skip: labSkip }, async (t) => {
    const lab = await Lab.create('wscol');
    try {
      const key = join(work, 'key.pem');
      const cert = join(work, 'cert.pem');
      const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=web.lab', '-days', '2'], { encoding: 'utf8' });
      assert.equal(gen.status, 0, gen.stderr);
      const serverJs = join(work, 'server.cjs');
      writeFileSync(serverJs, `
        const body = 'x'.repeat(6000);
        require('node:http').createServer((req, res) => {
          if (req.url === '/big') { res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': body.length }); res.end(body); return; }
          if (req.url === '/json') { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{"a":1}'); return; }
          if (req.url === '/missing') { res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 9 }); res.end('not found'); return; }
          req.resume();
          req.on('end', () => { res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 3 }); res.end('ok\\n'); });
        }).listen(80, '${lab.serverIp}', () => console.log('listening'));`);
      const web = lab.start(lab.serverNs, process.execPath, [serverJs]);
      await Lab.waitFor(web, 'listening');
      lab.start(lab.serverNs, 'openssl', ['s_server', '-accept', `${lab.serverIp}:443`, '-cert', cert, '-key', key, '-quiet']);
      lab.start(lab.serverNs, 'openssl', ['s_server', '-accept', `${lab.serverIp}:8443`, '-cert', cert, '-key', key, '-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256', '-quiet']);
      await lab.waitPort(lab.serverIp, 443);
      await lab.waitPort(lab.serverIp, 8443);
      const file = join(work, 'lab.pcap');
      const stop = await lab.capture(file);
      const base = `http://${lab.serverIp}`;
      const r = await lab.run(lab.clientNs, 'curl', ['-s', '-o', '/dev/null', '-o', '/dev/null', '-o', '/dev/null', '-w', '%{http_code} ', `${base}/big`, `${base}/json`, `${base}/missing`]);
      const post = await lab.run(lab.clientNs, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--data-binary', 'y'.repeat(3000), '-H', 'Content-Type: application/octet-stream', `${base}/upload`]);
      const client = (...args: string[]) => lab.run(lab.clientNs, 'openssl', ['s_client', '-servername', 'web.lab', ...args], { timeoutMs: 15_000 });
      const t13 = await client('-connect', `${lab.serverIp}:443`, '-tls1_3');
      const t12 = await client('-connect', `${lab.serverIp}:443`, '-tls1_2');
      const fail = await client('-connect', `${lab.serverIp}:8443`, '-tls1_2', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384');
      await stop();
      assert.equal(r.stdout.trim(), '200 200 404', r.stderr);
      assert.equal(post.stdout.trim(), '200', post.stderr);
      assert.match(t13.stdout, /TLSv1\.3/);
      assert.match(t12.stdout, /TLSv1\.2/);
      assert.match(fail.stderr + fail.stdout, /handshake failure|alert/i);

      const tally = await compare([file], ['tcp.port==8443,tls']);
      report(t, tally, 'lab HTTP/TLS');
      assertNoUnexplained(tally, 'lab HTTP/TLS');
      assert.equal(totals(tally).explained, 0);
      const seen = [...tally.byProtocol.keys()];
      for (const p of ['HTTP', 'TCP', 'TLSv1.3', 'TLSv1.2']) assert.ok(seen.includes(p), `no ${p} frame in ${seen.join(', ')}`);
    } finally {
      await lab.close();
    }
  });
});
