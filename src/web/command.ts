/**
 * `wiresage ui [FILE…]`: serves the web UI on 127.0.0.1 (a random port unless --port) and
 * prints its URL with a fresh access token, as Jupyter does. Opens a browser only where there
 * is a display. `--host` exposes it to other machines, deliberately (with a warning).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import { intOption, UsageError, type OptionSpec, type Parsed } from '../cli/args.js';
import { newToken } from './security.js';
import { UiServer } from './server.js';

export const uiOptions: OptionSpec[] = [
  { name: 'port', short: 'p', kind: 'value', arg: 'N', help: 'port to listen on (default: a free one)' },
  { name: 'host', kind: 'value', arg: 'ADDR', help: 'address to listen on (default 127.0.0.1; anything else exposes the UI to the network)' },
  { name: 'root', kind: 'list', arg: 'DIR', help: 'folder the UI may open captures from (repeatable; default: the current folder)' },
  { name: 'max-upload', kind: 'value', arg: 'MB', help: 'largest upload accepted (default 1024 MB)' },
  { name: 'no-browser', kind: 'flag', help: 'do not try to open a browser' },
];

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\./.test(host);
}

function openBrowser(url: string): void {
  // Only where a desktop session exists: a server without a display gets the URL printed.
  if (process.platform !== 'linux' || (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY)) return;
  try {
    const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // no opener installed: the printed URL is enough
  }
}

export async function uiCommand({ opts, rest }: Parsed): Promise<number> {
  const port = intOption(opts.port, '--port', 0) ?? 0;
  if (port > 65535) throw new UsageError('--port takes 0..65535');
  const host = (opts.host as string | undefined) ?? '127.0.0.1';
  const maxMB = opts['max-upload'] !== undefined ? Number(opts['max-upload']) : 1024;
  if (!Number.isFinite(maxMB) || maxMB <= 0) throw new UsageError('--max-upload takes a size in MB');
  const roots = ((opts.root as string[] | undefined) ?? [process.cwd()]).map((d) => resolve(d));
  for (const f of rest) {
    if (!fs.existsSync(f)) throw Object.assign(new Error(`${f}: no such file`), { code: 'ENOENT' });
  }
  const token = newToken();
  let actualPort = port;
  let server: UiServer;
  try {
    server = new UiServer({
      token, roots, maxUpload: Math.round(maxMB * 1024 * 1024),
      allowedHosts: () => (isLoopback(host) ? [`127.0.0.1:${actualPort}`, `localhost:${actualPort}`, `[::1]:${actualPort}`] : []),
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  for (const f of rest) {
    const c = server.openFile(resolve(f));
    void c.indexed.then(() => {
      if (c.error) process.stderr.write(`wiresage ui: ${c.error}\n`);
    });
  }
  actualPort = await server.listen(port, host);
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const url = `http://${shown}:${actualPort}/?token=${token}`;
  if (!isLoopback(host)) {
    process.stderr.write(`wiresage ui: WARNING: listening on ${host}: anyone who can reach this address and learns the token can read the captures here${opts.root ? '' : ' (and every capture under the current folder)'}.\n`);
  }
  process.stdout.write(`wiresage ui: serving ${rest.length ? rest.join(', ') : 'no file yet'} (folders: ${server.roots.dirs.join(', ')})\n`);
  process.stdout.write(`    ${url}\n`);
  process.stdout.write('Press Ctrl+C to stop.\n');
  if (!opts['no-browser']) openBrowser(url);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().finally(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
