// Issue 9: the web UI server on a generated capture (1M packets; --quick: 100k; --packets N):
// time from `wiresage ui FILE` starting to the first page of rows served (target < 3 s), time
// to the complete index, a page in the middle once indexed, display-filter views over the
// whole file — time to the first matching rows served and to the complete view, CPU used — for
// a filter the frame index prunes (analysis flags), one every frame is decoded for (to the
// transport layer) and one that needs the application layers, against `tshark -Y` with the same
// filter; and the server's peak memory.
// Runs alone too: `node bench/cases/ui.mjs [--quick] [--packets N]`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { pathToFileURL } from 'node:url';
import { cli, fileMB, generated, measure, report } from '../lib.mjs';

function get(base, token, path, method = 'GET', body) {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch (e) {
          reject(new Error(`${path}: ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
    if (body) req.write(JSON.stringify(body));
    req.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function peakMB(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system) a live process used so far. */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

const FILTER = 'tcp.analysis.retransmission';
/** A filter for each kind of scan (src/web/scan.ts). */
// The last one needs the application dissectors over reassembled HTTP messages.
const VIEW_FILTERS = [FILTER, 'tcp.flags.reset == 1', 'dns.flags.response == 1', 'http.response.code == 404'];

/** Starts the server on `file` and measures; returns the figures. */
export async function measureUi(file) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'ui', file, '--no-browser', '--root', '/tmp'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TZ: 'UTC' } });
  try {
    let out = '';
    const url = await new Promise((resolve, reject) => {
      child.stdout.on('data', (c) => {
        out += c;
        const m = /(http:\/\/\S+)\/\?token=(\w+)/.exec(out);
        if (m) resolve(m);
      });
      child.on('exit', (code) => reject(new Error(`wiresage ui exited ${code}: ${out}`)));
    });
    const [, base, token] = url;
    const [{ id }] = await get(base, token, '/api/captures');
    let first;
    for (;;) {
      const page = await get(base, token, `/api/captures/${id}/frames?offset=0&limit=100`);
      if (page.rows.length === 100) {
        first = (performance.now() - t0) / 1000;
        break;
      }
      await sleep(10);
    }
    let info;
    for (;;) {
      info = await get(base, token, `/api/captures/${id}`);
      if (info.complete) break;
      await sleep(50);
    }
    const indexed = (performance.now() - t0) / 1000;
    const indexCpu = cpuSeconds(child.pid);
    if (info.error) throw new Error(info.error);
    const tp = performance.now();
    const mid = await get(base, token, `/api/captures/${id}/frames?offset=${Math.floor(info.packets / 2)}&limit=100`);
    const pageMs = performance.now() - tp;
    if (mid.rows.length !== 100) throw new Error('middle page is short');
    const views = [];
    for (const filter of VIEW_FILTERS) {
      const cpu0 = cpuSeconds(child.pid);
      const tv = performance.now();
      const { viewId } = await get(base, token, `/api/captures/${id}/views`, 'POST', { filter });
      let view;
      let firstRows;
      for (;;) {
        view = await get(base, token, `/api/captures/${id}/views/${viewId}`);
        if (firstRows === undefined && view.matched > 0) {
          // The first page of matches, as the packet list asks for it while the scan runs.
          const page = await get(base, token, `/api/captures/${id}/frames?view=${viewId}&offset=0&limit=100`);
          if (page.rows.length > 0) firstRows = (performance.now() - tv) / 1000;
        }
        if (view.complete) break;
        await sleep(50);
      }
      if (view.error) throw new Error(`${filter}: ${view.error}`);
      views.push({ filter, kind: view.kind, seconds: (performance.now() - tv) / 1000, firstRows, cpu: cpuSeconds(child.pid) - cpu0, matched: view.matched });
    }
    return { packets: info.packets, first, indexed, indexCpu, pageMs, views, peak: peakMB(child.pid) };
  } finally {
    child.kill('SIGTERM');
  }
}

export async function run({ quick = false, packets } = {}) {
  const n = packets ?? (quick ? 100_000 : 1_000_000);
  const file = generated(n, 1);
  const mb = fileMB(file);
  const r = await measureUi(file);
  report({
    name: `ui: ${r.packets} packets, first 100 rows served`,
    packets: r.packets, mb, ours: { seconds: r.indexed, cpu: r.indexCpu, rssMB: r.peak }, target: 'first rows < 3 s',
    note: `first rows ${r.first.toFixed(2)} s after start; index complete ${r.indexed.toFixed(2)} s; middle page ${r.pageMs.toFixed(0)} ms; peak ${r.peak.toFixed(0)} MB`,
  });
  for (const v of r.views) {
    const tshark = quick ? undefined : measure('tshark', ['-n', '-r', file, '-Y', v.filter, '-T', 'fields', '-e', 'frame.number']);
    report({
      name: `ui: view '${v.filter}' (${v.kind} scan) over ${r.packets} packets (${v.matched} match)`,
      packets: r.packets, mb, ours: { seconds: v.seconds, cpu: v.cpu, rssMB: r.peak }, anchor: tshark, anchorName: `tshark -Y ${v.filter}`, target: 'a few seconds',
      note: v.firstRows === undefined ? 'no match' : `first matching rows served after ${v.firstRows.toFixed(2)} s`,
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--packets');
  await run({ quick: process.argv.includes('--quick'), ...(i > 0 ? { packets: Number(process.argv[i + 1]) } : {}) });
  process.exit(0);
}
