// Issue 9: the web UI server on a generated capture (1M packets; --quick: 100k; --packets N):
// time from `wiresage ui FILE` starting to the first page of rows served (target < 3 s), time
// to the complete index, a page in the middle once indexed, a display-filter view over the
// whole file (against `tshark -Y` with the same filter), and the server's peak memory.
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
    const tv = performance.now();
    const { viewId } = await get(base, token, `/api/captures/${id}/views`, 'POST', { filter: FILTER });
    let view;
    for (;;) {
      view = await get(base, token, `/api/captures/${id}/views/${viewId}`);
      if (view.complete) break;
      await sleep(50);
    }
    const viewSec = (performance.now() - tv) / 1000;
    const viewCpu = cpuSeconds(child.pid) - indexCpu;
    return { packets: info.packets, first, indexed, indexCpu, pageMs, viewSec, viewCpu, matched: view.matched, peak: peakMB(child.pid) };
  } finally {
    child.kill('SIGTERM');
  }
}

export async function run({ quick = false, packets } = {}) {
  const n = packets ?? (quick ? 100_000 : 1_000_000);
  const file = generated(n, 1);
  const mb = fileMB(file);
  const r = await measureUi(file);
  const tshark = quick ? undefined : measure('tshark', ['-n', '-r', file, '-Y', FILTER, '-T', 'fields', '-e', 'frame.number']);
  report({
    name: `ui: ${r.packets} packets, first 100 rows served`,
    packets: r.packets, mb, ours: { seconds: r.indexed, cpu: r.indexCpu, rssMB: r.peak }, target: 'first rows < 3 s',
    note: `first rows ${r.first.toFixed(2)} s after start; index complete ${r.indexed.toFixed(2)} s; middle page ${r.pageMs.toFixed(0)} ms; peak ${r.peak.toFixed(0)} MB`,
  });
  report({
    name: `ui: view '${FILTER}' over ${r.packets} packets (${r.matched} match)`,
    packets: r.packets, mb, ours: { seconds: r.viewSec, cpu: r.viewCpu, rssMB: r.peak }, anchor: tshark, anchorName: `tshark -Y ${FILTER}`, target: 'a few seconds',
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--packets');
  await run({ quick: process.argv.includes('--quick'), ...(i > 0 ? { packets: Number(process.argv[i + 1]) } : {}) });
  process.exit(0);
}
