/**
 * Test helpers around tshark, the reference the differential tests compare with.
 * Runs `tshark -n -r FILE -T fields -e … -E occurrence=a` and returns rows of columns.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/, two levels below it or more). */
export const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();

/** Folder of tcpdump's public test captures (shared/corpus/tcpdump beside the repo). */
export const corpusDir = process.env.WIRESAGE_CORPUS ?? resolve(repoRoot, '../shared/corpus/tcpdump');
export const benchGenerator = resolve(repoRoot, '../shared/bench/gen-pcap.mjs');

export const hasTshark = (() => spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0)();

/** Reason to skip a test when tshark is missing (tests then show it), or false. */
export const noTshark: string | false = hasTshark ? false : 'tshark is not installed (apt-get install tshark)';

export interface TsharkOptions {
  filter?: string;
  decodeAs?: string[];
  prefs?: string[];
  extra?: string[];
}

/** tshark's `-T fields` output as rows of column strings. */
export function tsharkFields(file: string, fields: string[], o: TsharkOptions = {}): string[][] {
  const args = ['-n', '-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'separator=\t'];
  for (const f of fields) args.push('-e', f);
  if (o.filter) args.push('-Y', o.filter);
  for (const d of o.decodeAs ?? []) args.push('-d', d);
  for (const p of o.prefs ?? []) args.push('-o', p);
  args.push(...(o.extra ?? []));
  const out = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, TZ: 'UTC' } });
  return rows(out.stdout ?? '');
}

/** tshark's standard output for `args` (statistics taps: `-q -z …`), in the C locale and UTC. */
export function tsharkText(args: string[]): string {
  return spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' } }).stdout;
}

/** The TCP rows of a `-z expert` table, each prefixed by its severity section (other protocols left out). */
export function expertTcpRows(text: string): string[] {
  const out: string[] = [];
  let section = '';
  for (const line of text.split('\n')) {
    if (/^\w+ \(\d+\)$/.test(line)) section = line.split(' ')[0];
    else if (/ TCP {2}/.test(line)) out.push(`${section} ${line}`);
  }
  return out;
}

/** Runs the built wiresage CLI and returns its stdout (throws with stderr on failure unless allowed). */
export function wiresage(args: string[], opts: { allowFail?: boolean; input?: Buffer } = {}): { stdout: string; stderr: string; status: number } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist/cli/main.js'), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    input: opts.input,
    env: { ...process.env, TZ: 'UTC' },
  });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`wiresage ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

export function rows(text: string): string[][] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.split('\t'));
}

/** Generates a capture with the shared benchmark generator (deterministic by seed). */
export function generateCapture(out: string, packets: number, seed: number, extra: string[] = []): string {
  execFileSync(process.execPath, [benchGenerator, '--packets', String(packets), '--out', out, '--seed', String(seed), ...extra], { stdio: 'ignore' });
  return out;
}
