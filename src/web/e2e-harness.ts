/**
 * Harness for the web UI's browser tests: starts the real `wiresage ui` (dist/cli/main.js) on a
 * free port and reads the URL and token it prints; launches Debian's Chromium through
 * playwright-core (no browser download) with a fresh profile; keeps screenshots in an artefacts
 * directory; creates and always removes the network namespaces of the live-capture test.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = process.env.WIRESAGE_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for Chromium on a machine with no network beyond loopback (see the issue). */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

export interface UiServer {
  url: string;
  base: string;
  token: string;
  proc: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts `wiresage ui ARGS --port 0` and waits for the URL it prints. */
export async function startUi(args: string[], env: NodeJS.ProcessEnv = {}): Promise<UiServer> {
  const main = join(repoRoot, 'dist', 'cli', 'main.js');
  const proc = spawn(process.execPath, [main, 'ui', ...args, '--port', '0'], {
    cwd: repoRoot, env: { ...process.env, ...env, DISPLAY: '', WAYLAND_DISPLAY: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const found = await new Promise<RegExpExecArray | null>((resolve) => {
    const re = /(http:\/\/127\.0\.0\.1:(\d+))\/\?token=([A-Za-z0-9_\-]+)/;
    const timer = setTimeout(() => resolve(null), 30_000);
    const check = () => { const m = re.exec(out); if (m) { clearTimeout(timer); resolve(m); } };
    proc.stdout!.on('data', check);
    proc.stderr!.on('data', check);
    void exited.then(() => { clearTimeout(timer); resolve(re.exec(out)); });
  });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
  };
  if (!found) {
    await stop();
    throw new Error(`wiresage ui printed no URL with a token:\n${out}`);
  }
  return { url: found[0], base: found[1], token: found[3], proc, output: () => out, stop };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close: () => Promise<void>;
}

/** Chromium with a fresh user-data dir, 1366x768 (the smallest screen the UI is made for). */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh --tests (Debian package chromium)`);
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(join(tmpdir(), 'wiresage-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1366, height: 768 },
    timezoneId: 'UTC', locale: 'en-US', acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context, page,
    close: async () => {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The directory where screenshots go (WIRESAGE_ARTEFACTS, else a new temp dir); printed once. */
export function artefactsDir(): string {
  const dir = process.env.WIRESAGE_ARTEFACTS ? join(process.env.WIRESAGE_ARTEFACTS, 'web-e2e') : fs.mkdtempSync(join(tmpdir(), 'wiresage-e2e-artefacts-'));
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function hasRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface NetnsPair {
  client: string;
  server: string;
  clientAddr: string;
  serverAddr: string;
  /** Runs a command inside a namespace. */
  exec: (ns: string, cmd: string[]) => void;
  teardown: () => void;
}

/**
 * Two network namespaces joined by a veth pair (10.231.N.1 and .2/30). teardown() removes both;
 * a leftover from an earlier run with the same names is removed first.
 */
export function makeNetnsPair(tag: string): NetnsPair {
  const client = `wse2e-${tag}-c`, server = `wse2e-${tag}-s`;
  const n = (process.pid % 200) + 20;
  const clientAddr = `10.231.${n}.1`, serverAddr = `10.231.${n}.2`;
  const teardown = () => {
    for (const ns of [client, server]) { try { ip('netns', 'del', ns); } catch { /* not there */ } }
  };
  teardown();
  try {
    ip('netns', 'add', client);
    ip('netns', 'add', server);
    ip('link', 'add', 'wse2e0', 'netns', client, 'type', 'veth', 'peer', 'name', 'wse2e1', 'netns', server);
    ip('-n', client, 'addr', 'add', `${clientAddr}/30`, 'dev', 'wse2e0');
    ip('-n', server, 'addr', 'add', `${serverAddr}/30`, 'dev', 'wse2e1');
    for (const ns of [client, server]) { ip('-n', ns, 'link', 'set', 'lo', 'up'); }
    ip('-n', client, 'link', 'set', 'wse2e0', 'up');
    ip('-n', server, 'link', 'set', 'wse2e1', 'up');
  } catch (e) {
    teardown();
    throw e;
  }
  return {
    client, server, clientAddr, serverAddr, teardown,
    exec: (ns, cmd) => { execFileSync('ip', ['netns', 'exec', ns, ...cmd], { stdio: 'ignore', timeout: 30_000 }); },
  };
}
