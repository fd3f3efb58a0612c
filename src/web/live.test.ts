/**
 * Live capture through the web UI's API (root only; skipped elsewhere): two network namespaces
 * joined by a veth pair (made and removed here), the namespace listed as a capture point, a
 * capture started on it with POST /api/live while one side pings the other, the packet count
 * growing while it runs, progress and findings as SSE, then DELETE and the capture readable.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { createLab, labAvailable, type Lab } from '../capture/_lab.js';
import { NativeSource } from '../capture/native.js';
import { parseNetDev } from './live.js';
import { UiServer } from './server.js';

let addonOk = false;
try {
  new NativeSource({ device: 'lo' }).close();
  addonOk = true;
} catch { /* not root or no addon: skipped below */ }
const skip = !labAvailable() ? 'needs root and iproute2 (network namespaces)' : !addonOk ? 'the capture addon is not built' : false;

// iputils ping when installed, else busybox's (busybox-static is in the test setup).
const pingCommand = spawnSync('ping', ['-V'], { stdio: 'ignore' }).error ? ['busybox', 'ping'] : ['ping'];
const TOKEN = 'live-token';
let lab: Lab;
let server: UiServer;
let base = '';

function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

/** Collects SSE events of a stream until `stop()`. */
function events(path: string): { list: Array<{ event: string; data: any }>; stop: () => void } {
  const list: Array<{ event: string; data: any }> = [];
  let buf = '';
  const req = request(base + path, { headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
    res.on('data', (c) => {
      buf += c;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev = /^event: (.*)$/m.exec(block);
        const data = /^data: (.*)$/m.exec(block);
        if (ev && data) list.push({ event: ev[1], data: JSON.parse(data[1]) });
      }
    });
  });
  req.on('error', () => {});
  req.end();
  return { list, stop: () => req.destroy() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  if (skip) return;
  lab = createLab();
  server = new UiServer({ token: TOKEN, roots: ['/tmp'], maxUpload: 1 << 20 });
  base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
});

after(async () => {
  if (skip) return;
  try {
    await server?.close();
  } finally {
    lab?.close();
  }
});

test('/proc/net/dev counters are read per interface (received + sent packets)', () => {
  const text = 'Inter-|   Receive                                                |  Transmit\n' +
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n' +
    '    lo:  1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0\n' +
    '  eth0: 50000     300    0    0    0     0          0         0    20000     200    0    0    0     0       0          0\n';
  assert.deepEqual([...parseNetDev(text)], [['lo', 20], ['eth0', 500]]);
});

test('a live capture in a namespace grows while a ping runs, then stays readable', { skip, timeout: 120_000 }, async () => {
  const points = (await call('GET', '/api/points')).json as Array<{ id: string; kind: string; label: string }>;
  assert.ok(points.some((p) => p.kind === 'iface' && p.label === 'lo'), 'host interfaces are listed');
  const point = points.find((p) => p.kind === 'netns' && p.label.includes(lab.a));
  assert.ok(point, `namespace ${lab.a} is a capture point: ${JSON.stringify(points.map((p) => p.label))}`);

  const rates = events('/api/points/rates');
  const bad = await call('POST', '/api/live', { points: [point.id], filter: 'icmp and and' });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /filter|syntax/i);

  const started = await call('POST', '/api/live', { points: [point.id], filter: 'icmp' });
  assert.equal(started.status, 201, JSON.stringify(started.json));
  const id = started.json.id as string;
  const ev = events(`/api/captures/${id}/events`);
  const ping = lab.spawn('b', [...pingCommand, '-c', '40', '-i', '0.1', lab.addrA]);
  const counts: number[] = [];
  for (let i = 0; i < 40 && counts.filter((n) => n > 0).length < 3; i++) {
    await sleep(400);
    counts.push((await call('GET', `/api/captures/${id}`)).json.packets);
  }
  const seen = counts.filter((n) => n > 0);
  assert.ok(seen.length >= 2 && seen[seen.length - 1] > seen[0], `packets grow while capturing: ${counts.join(',')}`);
  const live = (await call('GET', `/api/captures/${id}`)).json;
  assert.equal(live.live, true);
  const page = (await call('GET', `/api/captures/${id}/frames?limit=10`)).json;
  assert.ok(page.rows.length > 0);
  assert.equal(page.rows[0].proto, 'ICMP');
  assert.match(page.rows[0].info, /^Echo \(ping\) (request|reply) /);
  await new Promise((r) => ping.once('exit', r));
  // One echo too big for the link: two IPv4 fragments each way.
  lab.exec('b', [...pingCommand, '-c', '1', '-s', '2000', lab.addrA]);
  await sleep(500);

  const stopped = await call('DELETE', `/api/live/${id}`);
  assert.equal(stopped.status, 200);
  assert.equal(stopped.json.packets, 84, 'every echo request and reply, fragments included');
  const info = (await call('GET', `/api/captures/${id}`)).json;
  assert.equal(info.complete, true);
  assert.equal(info.live, false);
  assert.equal(info.packets, 84);
  const all = (await call('GET', `/api/captures/${id}/frames?limit=100`)).json;
  assert.equal(all.rows.filter((r: any) => /^Echo \(ping\) request /.test(r.info)).length, 41);
  // The detail of the datagram's last fragment has the reassembled datagram as a second buffer.
  // Wireshark names the datagram on its last fragment (the first says `Fragmented IP protocol`).
  const last = all.rows.filter((r: any) => /^Echo \(ping\) request /.test(r.info) && r.len > 500 && r.len < 1000)[0];
  assert.ok(last, 'a last fragment');
  const detail = (await call('GET', `/api/captures/${id}/frames/${last.no}`)).json;
  assert.equal(detail.buffers.length, 2, JSON.stringify(detail.buffers.map((b: any) => b.name)));
  assert.equal(Buffer.from(detail.buffers[1].base64, 'base64').length, 2008);
  const icmp = detail.tree.find((n: any) => n.field === 'icmp');
  assert.equal(icmp?.buffer, 1, 'the ICMP layer lies in the reassembled buffer');
  assert.equal(all.rows[0].src, lab.addrB);
  const f = (await call('GET', `/api/captures/${id}/findings`)).json;
  assert.equal(f.files[0].frames, 84);
  const conv = (await call('GET', `/api/captures/${id}/conversations?type=ip`)).json;
  assert.equal(conv.rows[0].framesAB + conv.rows[0].framesBA, 84);

  // Progress came as SSE while the capture ran; rates for every point once a second.
  await sleep(1200);
  ev.stop();
  rates.stop();
  assert.ok(ev.list.filter((e) => e.event === 'progress' && e.data.packets > 0).length >= 2, JSON.stringify(ev.list.slice(0, 5)));
  // The diagnosis is pushed again once the capture is complete.
  const pushed = ev.list.filter((e) => e.event === 'findings');
  assert.ok(pushed.length >= 1, 'findings pushed');
  assert.equal(pushed[pushed.length - 1].data.files[0].frames, 84);
  const r = rates.list.filter((e) => e.event === 'rates');
  assert.ok(r.length >= 2, 'rates every second');
  assert.ok(r.some((e) => (e.data[point.id] ?? 0) > 0), 'the namespace shows traffic in its sparkline');
  assert.equal((await call('DELETE', `/api/live/${id}`)).status, 404);
});
