/**
 * API tests of `wiresage ui`'s server: real HTTP on 127.0.0.1 (random port), the example
 * captures, tshark and the CLI as oracles.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { noTshark, repoRoot, tsharkFields, wiresage } from '../testing/tshark.js';
import { UiServer } from './server.js';

const examples = join(repoRoot, 'examples');
const seedA = join(examples, 'seed-case-a-forged-rst-after-failed-logins.pcap');
const seedB = join(examples, 'seed-case-b-tns-redirect-blocked.pcap');
const web = join(examples, 'web-and-dns.pcap');
const TOKEN = 'test-token-0123456789abcdef';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json: () => any;
}

let base = '';
let server: UiServer;
let work = '';
let staticDir = '';

function call(method: string, path: string, o: { token?: string | null; body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  const token = o.token === undefined ? TOKEN : o.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) });
      });
      res.on('error', reject);
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' || (e as NodeJS.ErrnoException).code === 'EPIPE' ? resolve({ status: -1, headers: {}, body: Buffer.alloc(0), json: () => ({}) }) : reject(e)));
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

/** Reads the first SSE event of a stream, then closes it. */
function firstEvent(path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
        if (/\nevent: /.test('\n' + text) && text.includes('\n\n', text.indexOf('event: '))) {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, text });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function open(path: string): Promise<string> {
  const r = await call('POST', '/api/captures', { body: JSON.stringify({ path }) });
  assert.equal(r.status, 201, r.body.toString());
  const id = r.json().id as string;
  for (let i = 0; i < 200; i++) {
    const info = (await call('GET', `/api/captures/${id}`)).json();
    if (info.complete) {
      assert.equal(info.error, undefined);
      return id;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('indexing did not finish');
}

before(async () => {
  work = fs.mkdtempSync(join(tmpdir(), 'wiresage-ui-test-'));
  const root = join(work, 'root');
  fs.mkdirSync(root);
  for (const f of [seedA, seedB, web]) fs.copyFileSync(f, join(root, f.split('/').pop()!));
  fs.symlinkSync('/etc', join(root, 'etc-link'));
  fs.symlinkSync('/etc/passwd', join(root, 'passwd-link'));
  fs.mkdirSync(join(root, 'sub'));
  fs.writeFileSync(join(work, 'outside.pcap'), fs.readFileSync(seedA));
  staticDir = join(work, 'static');
  fs.mkdirSync(join(staticDir, 'assets'), { recursive: true });
  fs.writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>wiresage</title>');
  fs.writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  server = new UiServer({ token: TOKEN, roots: [root], maxUpload: 64 * 1024, staticDir });
  const port = await server.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
});

after(async () => {
  await server?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const root = () => join(work, 'root');

describe('access token', () => {
  const routes: Array<[string, string]> = [
    ['GET', '/'], ['GET', '/index.html'], ['GET', '/assets/app.js'], ['GET', '/api/info'], ['GET', '/api/captures'],
    ['POST', '/api/captures'], ['POST', '/api/captures/upload'], ['GET', '/api/browse'], ['GET', '/api/filter/check?f=tcp'],
    ['GET', '/api/fields'], ['GET', '/api/points'], ['GET', '/api/points/rates'], ['POST', '/api/live'], ['DELETE', '/api/live/x'],
    ['GET', '/api/captures/x/events'], ['GET', '/api/captures/x/frames'], ['GET', '/api/compare?a=1&b=2'], ['GET', '/api/nothing'],
  ];
  it('is required on every route, SSE and static files included (401 without, 401 when wrong)', async () => {
    for (const [m, p] of routes) {
      const none = await call(m, p, { token: null });
      assert.equal(none.status, 401, `${m} ${p} without token`);
      assert.match(none.json().error.message, /token/);
      const wrong = await call(m, p, { token: TOKEN.slice(0, -1) + 'x' });
      assert.equal(wrong.status, 401, `${m} ${p} with a wrong token`);
      const short = await call(m, p, { token: 'x' });
      assert.equal(short.status, 401, `${m} ${p} with a short token`);
    }
    assert.equal((await call('GET', `/api/info?token=wrong`, { token: null })).status, 401);
    assert.equal((await call('GET', `/api/info?token=${TOKEN}`, { token: null })).status, 200);
  });

  it('?token= on a page is traded for an HttpOnly SameSite=Strict cookie and removed from the URL', async () => {
    const r = await call('GET', `/?token=${TOKEN}`, { token: null });
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, '/');
    const cookie = String(r.headers['set-cookie']);
    assert.match(cookie, /wiresage_token=/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const withCookie = await call('GET', '/api/info', { token: null, headers: { cookie: cookie.split(';')[0] } });
    assert.equal(withCookie.status, 200);
    const badCookie = await call('GET', '/api/info', { token: null, headers: { cookie: 'wiresage_token=nope' } });
    assert.equal(badCookie.status, 401);
  });

  it('serves the app with a CSP, the right types, no directory listing and no way out of its folder', async () => {
    const page = await call('GET', '/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'.*script-src 'self'/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    const js = await call('GET', '/assets/app.js');
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    // A directory gives the app, not a listing; a client route too.
    assert.equal((await call('GET', '/assets/')).body.toString(), '<!doctype html><title>wiresage</title>');
    assert.equal((await call('GET', '/packets/12')).body.toString(), '<!doctype html><title>wiresage</title>');
    assert.equal((await call('GET', '/missing.js')).status, 404);
    assert.equal((await call('GET', '/..%2f..%2fetc%2fpasswd')).status, 403);
    // Dot segments are resolved by the URL parser: what is left is inside the app folder (the app is served).
    const dots = await call('GET', '/assets/%2e%2e/%2e%2e/root/etc-link/passwd');
    assert.equal(dots.body.toString(), '<!doctype html><title>wiresage</title>');
  });
});

describe('the ui command', () => {
  it('listens on 127.0.0.1 with a token in the printed URL, opens no browser, and stops on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [join(repoRoot, 'dist/cli/main.js'), 'ui', seedA, '--root', examples], { env: { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      const m = await new Promise<RegExpExecArray>((resolve, reject) => {
        child.stdout.on('data', (c) => {
          out += c;
          const x = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{64})/.exec(out);
          if (x) resolve(x);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const saved = base;
      base = `http://127.0.0.1:${m[1]}`;
      try {
        const list = await call('GET', '/api/captures', { token: m[2] });
        assert.equal(list.status, 200);
        assert.equal(list.json()[0].name, 'seed-case-a-forged-rst-after-failed-logins.pcap');
        assert.equal((await call('GET', '/api/captures', { token: TOKEN })).status, 401);
        // DNS rebinding: another Host name is refused even with the token.
        assert.equal((await call('GET', '/api/captures', { token: m[2], headers: { host: `evil.example:${m[1]}` } })).status, 403);
      } finally {
        base = saved;
      }
      const code = await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      });
      assert.equal(code, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('warns when exposed with --host', async () => {
    const r = wiresage(['ui', '--host', '0.0.0.0', '--port', '99999'], { allowFail: true });
    assert.equal(r.status, 2, 'bad port is a usage error');
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [join(repoRoot, 'dist/cli/main.js'), 'ui', '--host', '0.0.0.0', '--no-browser', '--root', examples], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let err = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (c) => {
          err += c;
          if (/WARNING: listening on 0\.0\.0\.0/.test(err)) resolve();
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
      });
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('paths and uploads', () => {
  it('refuses paths outside the roots, .. and symlinks leading out (403)', async () => {
    for (const path of [join(root(), '..', 'outside.pcap'), join(work, 'outside.pcap'), '/etc/passwd', join(root(), 'passwd-link'),
      join(root(), 'etc-link', 'passwd'), 'relative.pcap', `${root()}/sub/../../outside.pcap`]) {
      const r = await call('POST', '/api/captures', { body: JSON.stringify({ path }) });
      assert.equal(r.status, 403, `${path}: ${r.body}`);
    }
    assert.equal((await call('GET', `/api/browse?path=${encodeURIComponent('/etc')}`)).status, 403);
    assert.equal((await call('GET', `/api/browse?path=${encodeURIComponent(join(root(), 'etc-link'))}`)).status, 403);
    assert.equal((await call('GET', `/api/browse?path=${encodeURIComponent(root() + '/..')}`)).status, 403);
    const missing = await call('POST', '/api/captures', { body: JSON.stringify({ path: join(root(), 'nope.pcap') }) });
    assert.equal(missing.status, 404);
  });

  it('lists a root without the symlinks that lead out of it', async () => {
    const r = await call('GET', `/api/browse?path=${encodeURIComponent(root())}`);
    assert.equal(r.status, 200);
    const names = r.json().entries.map((e: { name: string }) => e.name);
    assert.deepEqual(names, ['sub', 'seed-case-a-forged-rst-after-failed-logins.pcap', 'seed-case-b-tns-redirect-blocked.pcap', 'web-and-dns.pcap'].sort((a, b) => (a === 'sub' ? -1 : b === 'sub' ? 1 : a.localeCompare(b))));
    assert.equal(r.json().parent, null);
  });

  it('limits uploads and keeps them in a private directory', async () => {
    const big = Buffer.alloc(100 * 1024);
    const r = await call('POST', '/api/captures/upload', { body: big, headers: { 'x-filename': 'big.pcap', 'content-length': String(big.length) } });
    assert.equal(r.status, 413);
    const ok = await call('POST', '/api/captures/upload', { body: fs.readFileSync(seedA), headers: { 'x-filename': encodeURIComponent('../../evil name.pcap') } });
    assert.equal(ok.status, 201, ok.body.toString());
    assert.equal(ok.json().name, 'evil name.pcap');
    const st = fs.statSync(server.dir);
    assert.equal(st.mode & 0o777, 0o700);
    const files = fs.readdirSync(server.dir).filter((f) => f.startsWith('upload-'));
    assert.equal(files.length, 1);
    assert.equal(fs.statSync(join(server.dir, files[0])).mode & 0o777, 0o600);
    // Recent files list the upload by its original name, never by its private path.
    const recent = (await call('GET', '/api/info')).json().recent as Array<{ name: string; path?: string; captureId?: string }>;
    const mine = recent.find((e) => e.captureId === ok.json().id);
    assert.equal(mine?.name, 'evil name.pcap');
    assert.equal(mine?.path, undefined);
    assert.ok(!JSON.stringify(recent).includes(server.dir), 'no private path in the recent list');
    assert.ok(!JSON.stringify(recent).includes('upload-'));
    const bad = await call('POST', '/api/captures/upload', { body: 'not a capture at all', headers: { 'x-filename': 'x.pcap' } });
    assert.equal(bad.status, 201);
    const id = bad.json().id;
    await new Promise((r) => setTimeout(r, 200));
    const info = (await call('GET', `/api/captures/${id}`)).json();
    assert.equal(info.complete, true);
    assert.match(info.error, /^x\.pcap is not a capture file/);
  });
});

describe('packets', { skip: noTshark }, () => {
  it('pages rows as tshark numbers, addresses and describes them (Protocol and Info columns)', async () => {
    const id = await open(join(root(), 'web-and-dns.pcap'));
    const tshark = tsharkFields(web, ['frame.number', 'ip.src', 'ip.dst', 'frame.len', 'eth.src', 'eth.dst', '_ws.col.Protocol', '_ws.col.Info']);
    for (const [offset, limit] of [[0, 50], [400, 100], [880, 100]]) {
      const r = (await call('GET', `/api/captures/${id}/frames?offset=${offset}&limit=${limit}`)).json();
      assert.equal(r.total, 896);
      assert.equal(r.rows.length, Math.min(limit, 896 - offset));
      for (const row of r.rows) {
        const t = tshark[row.no - 1];
        assert.equal(String(row.no), t[0]);
        assert.equal(row.src, t[1] || t[4], `frame ${row.no} src`);
        assert.equal(row.dst, t[2] || (t[5] === 'ff:ff:ff:ff:ff:ff' ? 'Broadcast' : t[5]), `frame ${row.no} dst`);
        assert.equal(String(row.len), t[3]);
        assert.equal(row.proto, t[6], `frame ${row.no} protocol`);
        assert.equal(row.info, t[7], `frame ${row.no} info`);
      }
    }
  });

  it('marks TCP analysis in Info and colours as Wireshark (Bad TCP, RST, SYN/FIN, ARP)', async () => {
    const id = await open(join(root(), 'web-and-dns.pcap'));
    const retrans = tsharkFields(web, ['frame.number'], { filter: 'tcp.analysis.retransmission' }).map((r) => Number(r[0]));
    const bad = tsharkFields(web, ['frame.number'], { filter: 'tcp.analysis.flags && !tcp.analysis.window_update && !tcp.analysis.keep_alive && !tcp.analysis.keep_alive_ack' }).map((r) => Number(r[0]));
    const rows = (await call('GET', `/api/captures/${id}/frames?offset=0&limit=896`)).json().rows;
    for (const n of retrans) assert.match(rows[n - 1].info, /^\[TCP (Fast |Spurious )?Retransmission\]/, `frame ${n}`);
    assert.deepEqual(rows.filter((r: any) => r.color?.name === 'Bad TCP').map((r: any) => r.no), bad);
    const syn = tsharkFields(web, ['frame.number'], { filter: '(tcp.flags & 0x02 || tcp.flags.fin == 1) && !(tcp.analysis.flags && !tcp.analysis.window_update && !tcp.analysis.keep_alive && !tcp.analysis.keep_alive_ack) && !tcp.flags.reset && !(tcp.port == 80)' }).map((r) => Number(r[0]));
    for (const n of syn) assert.equal(rows[n - 1].color?.name, 'TCP SYN/FIN', `frame ${n}`);
    const a = await open(join(root(), 'seed-case-a-forged-rst-after-failed-logins.pcap'));
    const ra = (await call('GET', `/api/captures/${a}/frames?limit=100`)).json().rows;
    assert.equal(ra[0].color.name, 'ARP');
    assert.ok(ra.some((r: any) => r.color?.name === 'TCP RST' && r.color.bg === '#a40000'));
  });

  it('filter views count what tshark -Y counts', async () => {
    const id = await open(join(root(), 'web-and-dns.pcap'));
    for (const f of ['tcp.analysis.flags', 'dns || arp', 'ip.src == 10.0.0.0/8 && tcp.len > 0', 'tcp.stream == 3']) {
      const r = await call('POST', `/api/captures/${id}/views`, { body: JSON.stringify({ filter: f }) });
      assert.equal(r.status, 201);
      const vid = r.json().viewId;
      let v: any;
      for (let i = 0; i < 200; i++) {
        v = (await call('GET', `/api/captures/${id}/views/${vid}`)).json();
        if (v.complete) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const expected = tsharkFields(web, ['frame.number'], { filter: f }).map((x) => Number(x[0]));
      assert.equal(v.matched, expected.length, f);
      const page = (await call('GET', `/api/captures/${id}/frames?view=${vid}&offset=0&limit=5000`)).json();
      assert.deepEqual(page.rows.map((x: any) => x.no), expected, f);
    }
    const bad = await call('POST', `/api/captures/${id}/views`, { body: JSON.stringify({ filter: 'tcp.flag.syn == 1' }) });
    assert.equal(bad.status, 400);
    assert.equal(bad.json().error.start, 0);
    assert.ok(bad.json().error.suggestions.includes('tcp.flags.syn'));
    const check = (await call('GET', `/api/filter/check?f=${encodeURIComponent('tcp.port==80 and ip')}`)).json();
    assert.equal(check.ok, true);
  });

  it('detail tree nodes carry fields, values and byte ranges into the frame', async () => {
    const id = await open(join(root(), 'seed-case-b-tns-redirect-blocked.pcap'));
    const rows = (await call('GET', `/api/captures/${id}/frames?limit=100`)).json().rows;
    const tns = rows.find((r: any) => r.proto === 'TNS');
    assert.ok(tns, 'a TNS frame');
    const d = (await call('GET', `/api/captures/${id}/frames/${tns.no}`)).json();
    const bytes = Buffer.from(d.buffers[0].base64, 'base64');
    assert.equal(bytes.length, tns.len);
    const flat: any[] = [];
    const walk = (ns: any[]) => { for (const n of ns) { flat.push(n); if (n.children) walk(n.children); } };
    walk(d.tree);
    const src = flat.find((n) => n.field === 'ip.src');
    assert.equal(src.value, tns.src);
    assert.equal(bytes.subarray(src.start, src.start + src.length).join('.'), tns.src);
    assert.ok(flat.some((n) => n.field === 'tns.type'));
    assert.ok(flat.some((n) => n.field === 'tcp.stream'), 'flow fields from the earlier frames of the stream');
    assert.equal((await call('GET', `/api/captures/${id}/frames/9999`)).status, 404);
  });

  it('protocol hierarchy equals tshark -z io,phs', async () => {
    for (const file of [seedA, seedB]) {
      const id = await open(join(root(), file.split('/').pop()!));
      const tree = (await call('GET', `/api/captures/${id}/hierarchy`)).json().tree;
      const lines: string[] = [];
      const walk = (ns: any[], depth: number) => { for (const n of ns) { lines.push(`${'  '.repeat(depth)}${n.protocol} frames:${n.frames} bytes:${n.bytes}`); walk(n.children, depth + 1); } };
      walk(tree, 0);
      const out = (await import('node:child_process')).spawnSync('tshark', ['-r', file, '-q', '-z', 'io,phs'], { encoding: 'utf8' }).stdout;
      const expected = out.split('\n').filter((l) => /frames:\d+/.test(l)).map((l) => l.replace(/\s+frames:/, ' frames:').trimEnd());
      assert.deepEqual(lines, expected, file);
    }
  });

  it('follow equals wiresage follow; conversations, endpoints and expert agree with the CLI', async () => {
    const id = await open(join(root(), 'seed-case-a-forged-rst-after-failed-logins.pcap'));
    for (const stream of [0, 1, 4]) {
      const api = (await call('GET', `/api/captures/${id}/follow?proto=tcp&stream=${stream}`)).json();
      const cli = JSON.parse(wiresage(['follow', seedA, '--stream', String(stream), '--format', 'json']).stdout);
      assert.deepEqual(api.bytes, cli.bytes);
      assert.deepEqual(api.chunks.map((c: any) => [c.dir, c.frame, c.base64]), cli.records.filter((r: any) => r.bytes !== undefined).map((r: any) => [r.dir, r.frame, r.bytes]));
      assert.equal(`${api.client.addr}:${api.client.port}`, cli.node0);
    }
    const conv = (await call('GET', `/api/captures/${id}/conversations?type=tcp`)).json();
    const cliConv = wiresage(['conv', seedA, '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(conv.rows.length, cliConv.length);
    assert.ok(conv.rows.every((r: any) => typeof r.state === 'string' && typeof r.history === 'string'));
    assert.ok(conv.rows.some((r: any) => /oracle/i.test(r.app ?? '')), 'application summary');
    const ep = (await call('GET', `/api/captures/${id}/endpoints?type=ip`)).json();
    const total = ep.rows.reduce((n: number, r: any) => n + r.txFrames, 0);
    assert.equal(total, 48);
    const expert = (await call('GET', `/api/captures/${id}/expert`)).json();
    const cliExpert = wiresage(['expert', seedA, '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(expert.items.map((r: any) => [r.field, r.count, r.frames[0]]), cliExpert.map((r: any) => [r.field, r.count, r.firstFrame]));
  });

  it('findings are the doctor JSON (forged RST after failed logins)', async () => {
    const id = await open(join(root(), 'seed-case-a-forged-rst-after-failed-logins.pcap'));
    const f = (await call('GET', `/api/captures/${id}/findings`)).json();
    const ids = f.findings.map((x: any) => x.id);
    assert.ok(ids.includes('auth.failed.then.blocked') || ids.includes('tcp.rst.forged'), ids.join(','));
    const cli = JSON.parse(wiresage(['doctor', '--json', seedA], { allowFail: true }).stdout.split(seedA).join('seed-case-a-forged-rst-after-failed-logins.pcap'));
    assert.deepEqual(f.files, cli.files);
    assert.deepEqual(f.findings, cli.findings);
  });

  it('flow graph names TCP flags and TNS messages; io graph and download', async () => {
    const id = await open(join(root(), 'seed-case-a-forged-rst-after-failed-logins.pcap'));
    const g = (await call('GET', `/api/captures/${id}/flowgraph?stream=0`)).json();
    assert.deepEqual(g.events.slice(0, 3).map((e: any) => e.label), ['SYN', 'SYN, ACK', 'ACK']);
    assert.equal(g.events[3].label, 'TNS Connect');
    assert.equal(g.nodes.length, 2);
    const io = (await call('GET', `/api/captures/${id}/iograph?interval=1`)).json();
    assert.equal(io.series[0].values.reduce((a: number, b: number) => a + b, 0), 50);
    const dl = await call('GET', `/api/captures/${id}/download`);
    assert.equal(dl.status, 200);
    assert.equal(dl.body.readUInt32LE(0), 0x0a0d0d0a);
    const tmp = join(work, 'dl.pcapng');
    fs.writeFileSync(tmp, dl.body);
    assert.equal(wiresage(['read', '-t', tmp]).stdout, wiresage(['read', '-t', seedA]).stdout);
  });

  it('compares two captures of the same traffic packet by packet', async () => {
    const a = await open(join(root(), 'seed-case-a-forged-rst-after-failed-logins.pcap'));
    const up = await call('POST', '/api/captures/upload', { body: fs.readFileSync(seedA), headers: { 'x-filename': 'copy.pcap' } });
    const b = up.json().id;
    for (let i = 0; i < 100 && !(await call('GET', `/api/captures/${b}`)).json().complete; i++) await new Promise((r) => setTimeout(r, 50));
    const r = await call('GET', `/api/compare?a=${a}&b=${b}`);
    assert.equal(r.status, 200, r.body.toString());
    const c = r.json();
    assert.equal(c.matched.length, 48, 'every TCP packet matched');
    assert.ok(c.matched.every(([x, y]: [number, number]) => x === y));
    assert.deepEqual([c.onlyA, c.onlyB], [[], []]);
    assert.equal(c.pointB.name, 'copy.pcap');
    assert.ok(Array.isArray(c.findings.findings));
    assert.equal((await call('GET', `/api/compare?a=${a}&b=nope`)).status, 404);
  });

  it('progress arrives as SSE', async () => {
    const id = await open(join(root(), 'seed-case-b-tns-redirect-blocked.pcap'));
    const ev = await firstEvent(`/api/captures/${id}/events`);
    assert.equal(ev.status, 200);
    assert.match(ev.text, /event: progress\ndata: \{"packets":15,"complete":true/);
    // The file's size comes with the progress (it grows during a live capture).
    assert.match(ev.text, new RegExp(`"size":${fs.statSync(join(root(), 'seed-case-b-tns-redirect-blocked.pcap')).size}\\b`));
  });
});
