// Shared pieces of the benchmarks: generated inputs, timing of whole commands (wall time and
// peak RSS through GNU time), and the ratio table. Every case runs wiresage and its anchor
// (tshark/tcpdump) on the same input in the same run, so ratios are comparable.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, renameSync, statSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const dataDir = join(root, 'bench', 'data');
export const cli = join(root, 'dist', 'cli', 'main.js');
const generator = join(root, '..', 'shared', 'bench', 'gen-pcap.mjs');

/** A generated capture of about `packets` packets (made once, reused; written atomically). */
export function generated(packets, seed = 1) {
  mkdirSync(dataDir, { recursive: true });
  const name = packets >= 1e6 ? `${packets / 1e6}m` : `${packets / 1e3}k`;
  const file = join(dataDir, `bench-${name}-s${seed}.pcap`);
  if (!existsSync(file)) {
    process.stderr.write(`bench: generating ${file} …\n`);
    const tmp = `${file}.tmp-${process.pid}`;
    execFileSync(process.execPath, [generator, '--packets', String(packets), '--out', tmp, '--seed', String(seed)], { stdio: 'ignore' });
    renameSync(tmp, file);
  }
  return file;
}

/** Packet count of a capture (asks wiresage, which is what is being measured anyway). */
export function packetCount(file) {
  const out = execFileSync(process.execPath, [cli, 'read', '--count', file], { encoding: 'utf8' });
  return Number(out.trim().split(' ')[0]);
}

/**
 * Runs a command with stdout to /dev/null; returns wall seconds, CPU seconds (user + system) and
 * peak RSS in MB. CPU time is what to compare on a loaded machine, where wall time also counts
 * the time other processes held the cores.
 */
export function measure(cmd, args, { env } = {}) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC', ...env },
    maxBuffer: 1 << 26,
  });
  const lines = r.stderr.trim().split('\n');
  const [sec, user, sys, kb] = lines[lines.length - 1].split(' ').map(Number);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${lines.slice(-5).join('\n')}`);
  return { seconds: sec, cpu: user + sys, rssMB: kb / 1024 };
}

/** Best of `n` runs (page cache warm after the first). */
export function best(n, fn) {
  let b;
  for (let i = 0; i < n; i++) {
    const m = fn();
    if (!b || m.seconds < b.seconds) b = m;
  }
  return b;
}

export function fileMB(file) {
  return statSync(file).size / 1e6;
}

const rows = [];

/** Records one comparison; `target` is a text like '>= 10x' printed beside the ratio. */
export function report({ name, packets, mb, ours, anchor, anchorName, target, note }) {
  rows.push({ name, packets, mb, ours, anchor, anchorName, target, note });
  const pps = (s) => `${(packets / s / 1e6).toFixed(2)}M pkt/s`;
  const line = [
    `${name}`,
    `  wiresage: ${ours.seconds.toFixed(2)} s (cpu ${ours.cpu.toFixed(2)} s), ${pps(ours.seconds)}, ${(mb / ours.seconds).toFixed(0)} MB/s, peak ${ours.rssMB.toFixed(0)} MB`,
    anchor ? `  ${anchorName}: ${anchor.seconds.toFixed(2)} s (cpu ${anchor.cpu.toFixed(2)} s), ${pps(anchor.seconds)}, peak ${anchor.rssMB.toFixed(0)} MB` : '',
    anchor
      ? `  ratio: ${(anchor.seconds / ours.seconds).toFixed(1)}x faster than ${anchorName} by wall time, ${(anchor.cpu / ours.cpu).toFixed(1)}x by CPU time${target ? ` (target ${target})` : ''}`
      : '',
    note ? `  ${note}` : '',
  ].filter(Boolean).join('\n');
  console.log(line + '\n');
}

export function results() {
  return rows;
}
